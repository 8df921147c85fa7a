import { EngineError } from '../redis/codes.js';
import { ID_KEY, matches } from '../rules/input-rules.js';
import { saleState } from './schedule.js';
import { checkTrainConfig, type TrainConfig } from '../rules/train-config.js';
import { readBoard } from './batch-reply.js';
import { queueFromStored } from '../rules/queue-config.js';
import type { KeyedSaleStatus, SeatBoardUpdate } from './types.js';

/**
 * lua/sale-status-2.lua's reply (21 strings, or nil for an unknown sale) as a SaleStatus, its state judged by
 * Redis's clock, and the sale's order-id key beside it ('' in Redis: a legacy sale, null); a train sale's route
 * and seat board too.
 */
export function statusFromReply(saleId: string, reply: unknown): KeyedSaleStatus | null {
  if (reply === null) return null;
  const unexpected = () => new EngineError('ERR_UNEXPECTED_REPLY', `status of sale ${saleId}: unexpected reply ${JSON.stringify(reply)}`);
  if (!Array.isArray(reply) || reply.length !== 21) throw unexpected();
  let train: TrainConfig | undefined;
  let board: SeatBoardUpdate | undefined;
  if (reply[17] === 'train') {
    const checked = checkTrainConfig(parseJson(reply[18]) as { stations?: unknown; coaches?: unknown });
    board = readBoard(parseJson(reply[19]));
    if (!checked.ok || board === undefined) throw unexpected();
    train = checked.value;
  } else if (reply[17] !== 'counter') {
    throw unexpected();
  }
  const queue = typeof reply[20] === 'string' ? queueFromStored(reply[20]) : null;
  if (queue === null && reply[20] !== '') throw unexpected();
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
    kind: train === undefined ? ('counter' as const) : ('train' as const),
    ...(train === undefined ? {} : { train }),
    ...(queue === null ? {} : { queue }),
  };
  return board === undefined ? { status, idKey } : { status, idKey, board };
}

function parseJson(text: unknown): unknown {
  try {
    return typeof text === 'string' ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}
