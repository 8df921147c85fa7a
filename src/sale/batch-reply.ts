import { EngineError, Outcome } from '../redis/codes.js';
import type { BatchReply, PurchaseRequest, PurchaseResult } from './types.js';

/**
 * Reads reserve-batch's reply (lua/reserve-batch-7.lua): the JSON text [remaining, expiresAt, r1..rn], where
 * r = 1 is a new hold under the requested id, ["orderId", expiresAt] a replayed order, a negative number a
 * refusal.
 */
export function parseBatchReply(json: string, purchases: PurchaseRequest[]): BatchReply {
  const parsed = JSON.parse(json) as unknown[];
  const n = purchases.length;
  if (!Array.isArray(parsed) || parsed.length !== n + 2 || typeof parsed[0] !== 'number' || typeof parsed[1] !== 'number') {
    throw new EngineError('ERR_UNEXPECTED_REPLY', `reserve-batch replied ${JSON.stringify(json).slice(0, 200)} for ${n} purchases`);
  }
  const expiresAt = parsed[1];
  const results: PurchaseResult[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = parsed[i + 2];
    if (r === Outcome.Success) {
      results[i] = { outcome: Outcome.Success, orderId: purchases[i]!.orderId, expiresAt, replayed: false };
    } else if (typeof r === 'number') {
      results[i] = { outcome: r as Outcome };
    } else if (Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'number') {
      results[i] = { outcome: Outcome.Success, orderId: r[0], expiresAt: r[1], replayed: true };
    } else {
      throw new EngineError('ERR_UNEXPECTED_REPLY', `reserve-batch replied ${JSON.stringify(r)} for purchase ${i}`);
    }
  }
  return { remaining: parsed[0], results };
}
