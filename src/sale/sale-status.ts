import { EngineError } from '../redis/codes.js';
import { ID_KEY, matches } from '../rules/input-rules.js';
import { saleState } from './schedule.js';
import type { KeyedSaleStatus } from './types.js';

/**
 * lua/sale-status-1.lua's reply (17 strings, or nil for an unknown sale) as a SaleStatus, its state judged by
 * Redis's clock, and the sale's order-id key beside it ('' in Redis: a legacy sale, null).
 */
export function statusFromReply(saleId: string, reply: unknown): KeyedSaleStatus | null {
  if (reply === null) return null;
  const unexpected = () => new EngineError('ERR_UNEXPECTED_REPLY', `status of sale ${saleId}: unexpected reply ${JSON.stringify(reply)}`);
  if (!Array.isArray(reply) || reply.length !== 17) throw unexpected();
  const rawKey: unknown = reply[16];
  const idKey = rawKey === '' ? null : rawKey;
  if (idKey !== null && (typeof idKey !== 'string' || !matches(ID_KEY, idKey))) throw unexpected();
  const [total, perUserLimit, holdSeconds, opensAt, closesAt, anonymous, held, paid, createdAt, ordersMade, now, rPaid, rCancelled, rExpired, paused, checkedIn] =
    (reply as unknown[]).slice(0, 16).map(Number) as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  const state = saleState({ opensAt: opensAt > 0 ? opensAt : null, closesAt: closesAt > 0 ? closesAt : null }, paused === 1, now);
  const status = {
    id: saleId,
    total,
    held,
    paid,
    remaining: total - held - paid,
    open: state === 'open',
    paused: paused === 1,
    state,
    perUserLimit,
    holdSeconds,
    anonymous: anonymous === 1,
    opensAt,
    closesAt,
    createdAt,
    ordersMade,
    retired: { paid: rPaid, cancelled: rCancelled, expired: rExpired },
    checkedIn,
  };
  return { status, idKey };
}
