import { answerEngineError } from '../engine-errors.js';
import type { OrderPort } from '../ports.js';
import type { Reply } from '../reply.js';
import { checkOrderId } from '../request-rules.js';
import type { Route } from '../router.js';

/** GET /orders/{id}; POST /orders/{id}/pay (answers the order with its signed e-ticket); POST /orders/{id}/cancel. */
export function orderRoutes(port: OrderPort): Route[] {
  const run = (reply: Reply, orderId: string, work: () => Promise<void>) => {
    const bad = checkOrderId(orderId);
    if (bad !== null) return reply.error(bad);
    work().catch((err: unknown) => answerEngineError(reply, err, `order ${orderId}`));
  };
  return [
    {
      pattern: '/orders/:id',
      get: (reply, req) => {
        const orderId = req.getParameter(0) ?? '';
        run(reply, orderId, async () => {
          const order = await port.getOrder(orderId);
          if (order === null) return reply.error({ status: 404, error: 'UNKNOWN_ORDER', msg: `no order ${orderId}: check the orderId` });
          reply.ok(1, order.status, order);
        });
      },
    },
    {
      pattern: '/orders/:id/pay',
      post: (reply, req) => {
        const orderId = req.getParameter(0) ?? '';
        run(reply, orderId, async () => {
          const order = await port.pay(orderId);
          const ticket = reply.open ? await port.signTicket(order) : undefined;
          reply.ok(1, 'paid', ticket === undefined ? order : { ...order, ticket });
        });
      },
    },
    {
      pattern: '/orders/:id/cancel',
      post: (reply, req) => {
        const orderId = req.getParameter(0) ?? '';
        run(reply, orderId, async () => {
          const order = await port.cancel(orderId);
          reply.ok(1, 'cancelled', order);
        });
      },
    },
  ];
}
