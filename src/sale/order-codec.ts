import { EngineError } from '../redis/codes.js';
import { saleOfOrderId } from '../rules/input-rules.js';
import type { OrderStatus, OrderView } from './types.js';

/**
 * Reads the order format of lua/includes/order.lua:
 * "status|expiresAt|createdAt|paidAt|userLen|<user><idempotencyKey>". `nowMs` (Redis clock) turns an overdue
 * hold into 'expired'.
 */
export function decodeOrder(id: string, encoded: string, nowMs?: number): OrderView {
  const p: number[] = [];
  let from = 0;
  for (let i = 0; i < 5; i++) {
    const at = encoded.indexOf('|', from);
    if (at < 0) throw new EngineError('ERR_UNEXPECTED_REPLY', `order ${id}: cannot decode ${JSON.stringify(encoded)}`);
    p.push(at);
    from = at + 1;
  }
  const [p1, p2, p3, p4, p5] = p as [number, number, number, number, number];
  const status = encoded.slice(0, p1) as OrderStatus;
  const expiresAt = Number(encoded.slice(p1 + 1, p2));
  const createdAt = Number(encoded.slice(p2 + 1, p3));
  const paidAt = Number(encoded.slice(p3 + 1, p4));
  const userBytes = Number(encoded.slice(p4 + 1, p5));
  // The length is in bytes: slice the rest as a Buffer so multi-byte users decode right.
  // The Idempotency-Key that follows the user is the buyer's secret: it is never part of the view.
  const user = Buffer.from(encoded.slice(p5 + 1)).subarray(0, userBytes).toString();
  const view: OrderView = {
    id,
    sale: saleOfOrderId(id) ?? '',
    user,
    status: status === 'held' && nowMs !== undefined && nowMs >= expiresAt ? 'expired' : status,
    expiresAt,
    createdAt,
  };
  if (paidAt > 0) view.paidAt = paidAt;
  return view;
}

/** The key an order was bought with (the buyer's Idempotency-Key or nginx's request key; '' = none): what follows the user. */
export function idempotencyKeyOf(encoded: string): string {
  let from = 0;
  let at = -1;
  for (let i = 0; i < 5; i++) {
    at = encoded.indexOf('|', from);
    if (at < 0) return '';
    from = at + 1;
  }
  const userBytes = Number(encoded.slice(encoded.lastIndexOf('|', at - 1) + 1, at));
  return Buffer.from(encoded.slice(at + 1)).subarray(userBytes).toString();
}
