import { EngineError, ScriptCode } from '../redis/codes.js';
import { saleKeys } from '../redis/keys.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { ID_KEY, matches } from '../rules/input-rules.js';
import { decodeOrder } from './order-codec.js';
import type { OrderFound } from './types.js';

/**
 * One order read (lua/get-order-2.lua): the order, or — in the same call — what Redis knows of its sale, so a
 * miss is decided without a second round trip (src/sale/order-lookup.ts). `sale` is the order id's sale,
 * already checked by the caller.
 */
export async function findOrder(scripts: ScriptCommands, sale: string, orderId: string): Promise<OrderFound> {
  const k = saleKeys(sale);
  const reply = await scripts.getOrder(k.orders, k.meta, orderId);
  const unexpected = () => new EngineError('ERR_UNEXPECTED_REPLY', `order ${orderId}: unexpected reply ${JSON.stringify(reply)}`);
  if (!Array.isArray(reply)) throw unexpected();
  if (typeof reply[0] === 'string') return { kind: 'live', order: decodeOrder(orderId, reply[0], Number(reply[1])) };
  if (reply[0] === ScriptCode.InvalidArgument) {
    throw new EngineError('ERR_INVALID_ARGUMENT', `order id ${JSON.stringify(orderId)} is invalid: expected "<saleId>.<unique>"`, 'orderId');
  }
  if (reply[0] !== ScriptCode.OrderNotFound || reply.length !== 4) throw unexpected();
  const [, exists, idKey, retired] = reply as [number, number, string, number];
  if (exists !== 1) return { kind: 'absent', sale: null };
  if (idKey !== '' && !matches(ID_KEY, idKey)) throw unexpected();
  return { kind: 'absent', sale: { idKey: idKey === '' ? null : idKey, retired } };
}
