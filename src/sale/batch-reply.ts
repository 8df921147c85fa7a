import { EngineError, Outcome } from '../redis/codes.js';
import { parseSeatItem } from './trip.js';
import type { BatchReply, BatchResult, PurchaseRefused, PurchaseRequest, ReplayStatus, SeatBoardUpdate } from './types.js';

/** r: retired — the order is final and committed in PostgreSQL, its record has left Redis (expiresAt 0). */
const STATE: Record<string, ReplayStatus> = { h: 'held', p: 'paid', c: 'cancelled', e: 'expired', r: 'archived' };

/**
 * Reads reserve-batch's reply (lua/reserve-batch-12.lua): the JSON text [remaining, expiresAt, ordersMade,
 * r1..rn], where r = 1 is a new hold under the requested id, ["orderId", expiresAt, "h|p|c|e|r"] a replayed order
 * in its current state (r: retired, state unknown, 'archived'), with a fourth element "u" when it was found by the
 * user alone (at limit 1, not by the buyer's key: byUser), [-4, "S"] a buyer's key that already names a purchase in sale S, a negative number a
 * refusal. A train sale's successes carry their seats ([1, "item"], ["orderId", expiresAt, "s", "u" | "", "item"])
 * and a batch that changed its seat book ends with {"v": version, "c": {class: F}}.
 */
export function parseBatchReply(json: string, purchases: PurchaseRequest[]): BatchReply {
  const parsed = JSON.parse(json) as unknown[];
  const n = purchases.length;
  const board = Array.isArray(parsed) && parsed.length === n + 4 ? readBoard(parsed[n + 3]) : undefined;
  if (!Array.isArray(parsed) || (parsed.length !== n + 3 && board === undefined) || typeof parsed[0] !== 'number' || typeof parsed[1] !== 'number' || typeof parsed[2] !== 'number') {
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
    } else if (Array.isArray(r) && r.length === 2 && r[0] === Outcome.Success && parseSeatItem(r[1]) !== null) {
      results[i] = { outcome: Outcome.Success, orderId: purchases[i].orderId, expiresAt, replayed: false, status: 'held', seats: parseSeatItem(r[1])!, remaining, ordersMade };
    } else if (Array.isArray(r) && r[0] === Outcome.IdempotencyMismatch && typeof r[1] === 'string') {
      results[i] = { outcome: Outcome.IdempotencyMismatch, otherSale: r[1], remaining, ordersMade };
    } else if (Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'number' && STATE[r[2] as string] !== undefined && (r.length === 3 || r[3] === 'u' || (r.length === 5 && r[3] === ''))) {
      const replay: BatchResult = { outcome: Outcome.Success, orderId: r[0], expiresAt: r[1], replayed: true, status: STATE[r[2] as string], remaining, ordersMade };
      if (r[3] === 'u') replay.byUser = true;
      const seats = r.length === 5 ? parseSeatItem(r[4]) : null;
      if (seats !== null) replay.seats = seats;
      results[i] = replay;
    } else {
      throw new EngineError('ERR_UNEXPECTED_REPLY', `reserve-batch replied ${JSON.stringify(r)} for purchase ${i}`);
    }
  }
  if (board === undefined) return { remaining, ordersMade, results };
  for (const r of results) r.board = board;
  return { remaining, ordersMade, results, board };
}

export function readBoard(raw: unknown): SeatBoardUpdate | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const { v, c } = raw as { v?: unknown; c?: unknown };
  if (typeof v !== 'number' || c === null || typeof c !== 'object') return undefined;
  const classes: Record<string, number[]> = {};
  for (const [name, cells] of Object.entries(c as Record<string, unknown>)) {
    if (!Array.isArray(cells) || !cells.every((x) => typeof x === 'number')) return undefined;
    classes[name] = cells;
  }
  return { version: v, classes };
}

/** A refusal this version knows: any Outcome (the enum's own reverse mapping, no list of its own) but these two. */
function isRefusal(code: number): code is PurchaseRefused['outcome'] {
  const name = Outcome[code] as keyof typeof Outcome | undefined;
  return name !== undefined && name !== 'Success' && name !== 'IdempotencyMismatch';
}
