import { EngineError, Outcome } from '../redis/codes.js';
import type { BatchReply, BatchResult, PurchaseRefused, PurchaseRequest, ReplayStatus } from './types.js';

/** r: retired — the order is final and committed in PostgreSQL, its record has left Redis (expiresAt 0). */
const STATE: Record<string, ReplayStatus> = { h: 'held', p: 'paid', c: 'cancelled', e: 'expired', r: 'archived' };

/**
 * Reads reserve-batch's reply (lua/reserve-batch-8.lua): the JSON text [remaining, expiresAt, ordersMade,
 * r1..rn], where r = 1 is a new hold under the requested id, ["orderId", expiresAt, "h|p|c|e|r"] a replayed order
 * in its current state (r: retired, state unknown, 'archived'), with a fourth element "u" when it was found by the
 * user alone (at limit 1, not by the buyer's key: byUser), [-4, "S"] a buyer's key that already names a purchase in sale S, a negative number a
 * refusal.
 */
export function parseBatchReply(json: string, purchases: PurchaseRequest[]): BatchReply {
  const parsed = JSON.parse(json) as unknown[];
  const n = purchases.length;
  if (!Array.isArray(parsed) || parsed.length !== n + 3 || typeof parsed[0] !== 'number' || typeof parsed[1] !== 'number' || typeof parsed[2] !== 'number') {
    throw new EngineError('ERR_UNEXPECTED_REPLY', `reserve-batch replied ${JSON.stringify(json).slice(0, 200)} for ${n} purchases`);
  }
  const [remaining, expiresAt, ordersMade] = parsed as [number, number, number];
  // Each result carries the batch's counts, so the batcher hands it on as it is (no copy per purchase).
  const results = new Array<BatchResult>(n);
  for (let i = 0; i < n; i++) {
    const r = parsed[i + 3];
    if (r === Outcome.Success) {
      results[i] = { outcome: Outcome.Success, orderId: purchases[i].orderId, expiresAt, replayed: false, status: 'held', remaining, ordersMade };
    } else if (r === Outcome.IdempotencyMismatch) {
      results[i] = { outcome: Outcome.IdempotencyMismatch, remaining, ordersMade };
    } else if (typeof r === 'number') {
      results[i] = isRefusal(r) ? { outcome: r, remaining, ordersMade } : { outcome: 'unrecognized', code: r, remaining, ordersMade };
    } else if (Array.isArray(r) && r[0] === Outcome.IdempotencyMismatch && typeof r[1] === 'string') {
      results[i] = { outcome: Outcome.IdempotencyMismatch, otherSale: r[1], remaining, ordersMade };
    } else if (Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'number' && STATE[r[2] as string] !== undefined && (r.length === 3 || r[3] === 'u')) {
      const replay: BatchResult = { outcome: Outcome.Success, orderId: r[0], expiresAt: r[1], replayed: true, status: STATE[r[2] as string], remaining, ordersMade };
      if (r[3] === 'u') replay.byUser = true;
      results[i] = replay;
    } else {
      throw new EngineError('ERR_UNEXPECTED_REPLY', `reserve-batch replied ${JSON.stringify(r)} for purchase ${i}`);
    }
  }
  return { remaining, ordersMade, results };
}

/** A refusal this version knows: any Outcome (the enum's own reverse mapping, no list of its own) but these two. */
function isRefusal(code: number): code is PurchaseRefused['outcome'] {
  const name = Outcome[code] as keyof typeof Outcome | undefined;
  return name !== undefined && name !== 'Success' && name !== 'IdempotencyMismatch';
}
