import { EngineError, errorFromCode } from '../redis/codes.js';
import { buyerKeyClaim, saleKeys } from '../redis/keys.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { saleOfOrderId } from '../rules/input-rules.js';

/**
 * Retention (lua/retire-orders-5.lua, lua/trim-stream-3.lua): once an order is final and committed in
 * PostgreSQL, Redis lets go of what no longer serves the sale. The order worker, per batch of stream entries:
 * COMMIT, then `retireOrders` with the orders it committed in a final state, then XACK, then now and then
 * `trimStream` with the oldest entry it has not acknowledged. Kept: the sale counters (meta paid still counts
 * retired paid orders), the holders (per-user counts keep the limit), idempotency records inside their window,
 * every entry a hold deadline names.
 */

export const MAX_RETIRE_PER_CALL = 1000;
export const MAX_IDEM_WINDOW_MS = 604_800_000;
const STREAM_ID = /^\d{1,15}-\d{1,15}$/;

export interface RetireReply {
  /** Orders whose records this call removed. */
  retired: number;
  /** Ids skipped because the order is held (live, or past its deadline but not swept yet: not final). */
  live: number;
  /** Idempotency records removed (this call's orders past their window, and earlier ones whose window passed). */
  idemDropped: number;
  /** Idempotency records kept for their window; a later call removes them. */
  idemKept: number;
}

export interface TrimReply {
  removed: number;
  /** The id the stream was trimmed below: the lower of minId and the oldest entry a deadline names. */
  cut: string;
}

function invalid(field: string, msg: string): EngineError {
  return new EngineError('ERR_INVALID_ARGUMENT', msg, field);
}

export async function retireOrders(scripts: ScriptCommands, saleId: string, orderIds: readonly string[], idemWindowMs: number): Promise<RetireReply> {
  const k = saleKeys(saleId);
  if (!Array.isArray(orderIds) || orderIds.length > MAX_RETIRE_PER_CALL) {
    throw invalid('orderIds', `retireOrders takes an array of at most ${MAX_RETIRE_PER_CALL} order ids; split it`);
  }
  orderIds.forEach((id, i) => {
    if (typeof id !== 'string' || saleOfOrderId(id) !== saleId) throw invalid(`orderIds[${i}]`, `order id ${JSON.stringify(id)} is not an order id of sale ${saleId}`);
  });
  // Array.isArray above widens the type to any[]; the checked ids are strings.
  const ids: readonly string[] = orderIds;
  if (!Number.isInteger(idemWindowMs) || idemWindowMs < 0 || idemWindowMs > MAX_IDEM_WINDOW_MS) {
    throw invalid('idemWindowMs', `idemWindowMs ${idemWindowMs} is invalid: use 0..${MAX_IDEM_WINDOW_MS}`);
  }
  const reply = await scripts.retireOrders(k.meta, k.orders, k.idem, k.idemDue, k.items, saleId, idemWindowMs, ids.length, ...ids);
  if (Array.isArray(reply) && reply.length === 2 && typeof reply[0] === 'number' && reply[0] < 0) {
    throw errorFromCode(reply[0], String(reply[1]), `retire on sale ${saleId}`);
  }
  if (!Array.isArray(reply) || reply.length !== 5 || !Array.isArray(reply[4])) {
    throw new EngineError('ERR_UNEXPECTED_REPLY', `retire on sale ${saleId}: unexpected reply ${JSON.stringify(reply)}`);
  }
  const [retired, live, idemDropped, idemKept] = reply as number[];
  // The buyers' key claims end with their records (their window is the same): one call each, pipelined, since
  // on Cluster each claim lives in its own slot. Only a claim that still names THIS sale goes: one naming another
  // sale is that sale's purchase (lua/release-claim-1.lua compares and deletes atomically).
  const fields = reply[4] as string[];
  if (fields.length > 0) await Promise.all(fields.map((f) => scripts.releaseClaim(claimOfField(f), saleId)));
  return { retired: retired, live: live, idemDropped: idemDropped, idemKept: idemKept };
}

/** "<user> <key>" (an idempotency record's field; users have no space) -> the buyer's key claim. */
function claimOfField(field: string): string {
  const space = field.indexOf(' ');
  return buyerKeyClaim(field.slice(0, space), field.slice(space + 1));
}

export async function trimStream(scripts: ScriptCommands, saleId: string, minId: string): Promise<TrimReply> {
  const k = saleKeys(saleId);
  if (typeof minId !== 'string' || !STREAM_ID.test(minId)) throw invalid('minId', `stream id ${JSON.stringify(minId)} is invalid: use "<ms>-<seq>"`);
  const reply = await scripts.trimStream(k.meta, k.deadlines, k.stream, minId);
  if (Array.isArray(reply) && typeof reply[0] === 'number' && reply[0] < 0) throw errorFromCode(reply[0], String(reply[1]), `trim on sale ${saleId}`);
  if (!Array.isArray(reply) || reply.length !== 2) throw new EngineError('ERR_UNEXPECTED_REPLY', `trim on sale ${saleId}: unexpected reply ${JSON.stringify(reply)}`);
  return { removed: Number(reply[0]), cut: String(reply[1]) };
}
