import { EngineError } from '../redis/codes.js';
import { saleState } from './schedule.js';
import type { SaleStatus } from './types.js';

/** lua/sale-status-1.lua's reply (16 strings, or nil for an unknown sale) as a SaleStatus; state judged by Redis's clock. */
export function statusFromReply(saleId: string, reply: unknown): SaleStatus | null {
  if (reply === null) return null;
  if (!Array.isArray(reply) || reply.length !== 16) {
    throw new EngineError('ERR_UNEXPECTED_REPLY', `status of sale ${saleId}: unexpected reply ${JSON.stringify(reply)}`);
  }
  const [total, perUserLimit, holdSeconds, opensAt, closesAt, anonymous, held, paid, createdAt, ordersMade, now, rPaid, rCancelled, rExpired, paused, checkedIn] =
    reply.map(Number) as number[] as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  const state = saleState({ opensAt: opensAt > 0 ? opensAt : null, closesAt: closesAt > 0 ? closesAt : null }, paused === 1, now);
  return {
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
}
