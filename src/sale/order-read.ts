import { EngineError, ScriptCode } from '../redis/codes.js';
import { saleKeys, type SaleKeys } from '../redis/keys.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { ID_KEY, matches } from '../rules/input-rules.js';
import { decodeOrder } from './order-codec.js';
import { parseSeatItem } from './trip.js';
import type { OrderFound, OrderView } from './types.js';

/**
 * One order read (lua/get-order-3.lua): the order, or — in the same call — what Redis knows of its sale, so a
 * miss is decided without a second round trip (src/sale/order-lookup.ts). `saleOf` is the caller's check of
 * the id (it throws on a bad one: rejected here, as from an async function). One `then` and no async layer:
 * callers read tens of thousands at once (an audit, a check after a restart), and each layer costs a tick.
 */
export function findOrder(scripts: ScriptCommands, orderId: string, saleOf: (orderId: string) => string): Promise<OrderFound> {
  let k: SaleKeys;
  try {
    k = saleKeys(saleOf(orderId));
  } catch (err) {
    return Promise.reject(err);
  }
  return scripts.getOrder(k.orders, k.meta, k.items, orderId).then((reply) => foundOf(orderId, reply));
}

function foundOf(orderId: string, reply: unknown): OrderFound {
  if (Array.isArray(reply)) {
    if (typeof reply[0] === 'string') return { kind: 'live', order: withSeats(decodeOrder(orderId, reply[0], Number(reply[1])), reply[2]) };
    if (reply[0] === ScriptCode.InvalidArgument) {
      throw new EngineError('ERR_INVALID_ARGUMENT', `order id ${JSON.stringify(orderId)} is invalid: expected "<saleId>.<unique>"`, 'orderId');
    }
    if (reply[0] === ScriptCode.OrderNotFound && reply.length === 4) {
      const [, exists, idKey, retired] = reply as [number, number, string, number];
      if (exists !== 1) return { kind: 'absent', sale: null };
      if (idKey === '' || matches(ID_KEY, idKey)) return { kind: 'absent', sale: { idKey: idKey === '' ? null : idKey, retired } };
    }
  }
  throw new EngineError('ERR_UNEXPECTED_REPLY', `order ${orderId}: unexpected reply ${JSON.stringify(reply)}`);
}

/** A train order's view carries its seats (the item the script read beside it); a counter order's none. */
export function withSeats<T extends OrderView>(order: T, item: unknown): T {
  const seats = parseSeatItem(item);
  if (seats !== null) order.item = seats;
  return order;
}
