import type { BuyerAuthPort } from './ports.js';
import { reject } from './request-rules.js';
import type { OrderView } from '../sale/types.js';

/**
 * The order a caller may read, by the buyer rules of GET /orders/{id} (shared by the order and ticket routes):
 * with buyer authentication on, only its buyer (401 without a valid token, 403 for another buyer); without it,
 * whoever holds the unguessable order id. Throws a Rejection: 404 for an unknown order.
 */
export async function readOwnOrder(
  auth: BuyerAuthPort,
  getOrder: (orderId: string) => Promise<OrderView | null>,
  orderId: string,
  authorization: string,
): Promise<OrderView> {
  const buyer = auth.required ? await auth.buyerOf(authorization) : null;
  const order = await getOrder(orderId);
  if (order === null) throw reject(404, 'UNKNOWN_ORDER', `no order ${orderId}: check the orderId`);
  if (buyer !== null && order.user !== buyer) throw reject(403, 'NOT_YOUR_ORDER', `order ${orderId} belongs to another buyer`);
  return order;
}
