import { EngineError, ScriptCode, errorFromCode } from '../redis/codes.js';
import { paymentSignatureKey, saleKeys } from '../redis/keys.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { decodeOrder } from './order-codec.js';
import { withSeats } from './order-read.js';
import type { CheckIn, OrderView, PaidOrder } from './types.js';

/**
 * The scripts that move one order on (lua/pay-9.lua, cancel-8.lua, check-in-4.lua), each one atomic call that
 * is safe to repeat: paying a paid order returns it, cancelling a cancelled one returns it, a second check-in
 * answers the first. `saleId` is the order's sale, already checked by the engine.
 */

/** How long a signed payment callback that paid is remembered: longer than a signature stays valid (300 s). */
export const PAYMENT_SIGNATURE_MEMORY_SECONDS = 600;

function reply4(subject: string, reply: unknown): [ScriptCode, string, number?, number?, string?] {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') {
    throw new EngineError('ERR_UNEXPECTED_REPLY', `${subject}: unexpected reply ${JSON.stringify(reply)}`);
  }
  return reply as [ScriptCode, string, number?, number?, string?];
}

/**
 * The signature's use is recorded by the pay script itself and only when it pays: a callback whose answer was
 * lost (503, a timeout, a re-send by ioredis) is accepted again and then hears "paid" — never "replayed" for an
 * order still held, which would let the hold expire and the seat be sold again while the buyer was charged.
 */
export async function payOrder(scripts: ScriptCommands, saleId: string, orderId: string, signature: string | null): Promise<PaidOrder> {
  const k = saleKeys(saleId);
  const raw = await scripts.pay(k.meta, k.holders, k.orders, k.stream, paymentSignatureKey(saleId, signature), k.seats, k.free, k.stretch, k.items, orderId, signature ?? '', PAYMENT_SIGNATURE_MEMORY_SECONDS);
  const [code, enc, , replayed, item] = reply4(`pay order ${orderId}`, raw);
  if (code === ScriptCode.Ok) return withSeats({ ...decodeOrder(orderId, enc), replayed: replayed === 1 }, item);
  throw errorFromCode(code, String(enc ?? ''), `order ${orderId}`);
}

export async function cancelOrder(scripts: ScriptCommands, saleId: string, orderId: string): Promise<OrderView> {
  const k = saleKeys(saleId);
  const [code, enc] = reply4(`cancel order ${orderId}`, await scripts.cancel(k.meta, k.holders, k.orders, k.stream, k.seats, k.free, k.stretch, k.items, orderId));
  if (code === ScriptCode.Ok) return decodeOrder(orderId, enc);
  throw errorFromCode(code, String(enc ?? ''), `order ${orderId}`);
}

/**
 * `seen` is the order as the caller read it — from Redis, or from PostgreSQL once retired; paid is final, so an
 * order Redis no longer has is still paid, and one it has is judged by its record in the same script. A second
 * check-in throws ALREADY_CHECKED_IN with the first one's "<ms>|<gate>" in `detail` (checkInOf reads it).
 */
export async function checkInOrder(scripts: ScriptCommands, saleId: string, seen: OrderView, gate: string): Promise<CheckIn> {
  const k = saleKeys(saleId);
  const raw = await scripts.checkIn(k.meta, k.orders, k.checkins, k.stream, seen.id, gate, seen.status === 'paid' ? '1' : '0', seen.user);
  const [code, a, b] = reply4(`check-in of order ${seen.id}`, raw) as unknown as [ScriptCode, string, string?];
  if (code === ScriptCode.Ok) return { checkedInAt: Number(a), gate: String(b) };
  if (code === ScriptCode.AlreadyCheckedIn) throw errorFromCode(code, `${a}|${b}`, `order ${seen.id}`);
  throw errorFromCode(code, String(a ?? ''), `order ${seen.id}`);
}

/** The first check-in an ALREADY_CHECKED_IN error carries. */
export function checkInOf(err: EngineError): CheckIn {
  const detail = err.detail ?? '';
  const bar = detail.indexOf('|');
  return { checkedInAt: Number(detail.slice(0, bar)), gate: detail.slice(bar + 1) };
}
