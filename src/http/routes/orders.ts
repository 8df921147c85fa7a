import { EngineError, type OrderView } from '../../redis/engine.js';
import type { ThreadContext } from '../../node/thread-context.js';
import type { Reply } from '../respond.js';
import type { Route } from '../router.js';
import { checkOrderId } from '../validate.js';

/** What an order call answers when the engine throws: business states as 404/409, Redis trouble as 503. */
export function answerEngineError(reply: Reply, err: unknown, subject: string): void {
  if (err instanceof EngineError) {
    switch (err.code) {
      case 'ORDER_NOT_FOUND':
        return reply.error({ status: 404, error: 'UNKNOWN_ORDER', msg: `no ${subject}: check the orderId` });
      case 'HOLD_EXPIRED':
        return reply.error({ status: 409, error: 'HOLD_EXPIRED', msg: `${subject}: the hold expired and its ticket went back on sale; buy again` });
      case 'ORDER_CANCELLED':
        return reply.error({ status: 409, error: 'ORDER_CANCELLED', msg: `${subject} was cancelled; buy again` });
      case 'ORDER_PAID':
        return reply.error({ status: 409, error: 'ORDER_PAID', msg: `${subject} is already paid; it cannot be cancelled` });
      case 'ERR_UNKNOWN_SALE':
        return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `${subject}: its sale does not exist` });
      case 'ERR_INVALID_ARGUMENT':
        return reply.error({ status: 400, error: 'BAD_ORDER_ID', msg: `${subject}: ${err.message}` });
      default:
        break;
    }
  }
  reply.unavailable('REDIS_UNAVAILABLE', `could not reach the order store (${(err as Error).message}); retry shortly`);
}

/** Signs e-tickets off the hot path when the thread has a pool (see src/tickets); otherwise no ticket. */
export type TicketSigner = (order: OrderView) => Promise<unknown>;

export function orderRoutes(ctx: ThreadContext, sign?: TicketSigner): Route[] {
  const run = (reply: Reply, orderId: string, work: () => Promise<void>) => {
    const bad = checkOrderId(orderId);
    if (bad !== null) return reply.error(bad);
    ctx.begin();
    work()
      .catch((err: unknown) => answerEngineError(reply, err, `order ${orderId}`))
      .finally(() => ctx.end());
  };
  return [
    {
      pattern: '/orders/:id',
      get: (reply, req) => {
        const orderId = req.getParameter(0) ?? '';
        run(reply, orderId, async () => {
          const order = await ctx.engine.getOrder(orderId);
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
          const order = await ctx.engine.pay(orderId);
          let ticket: unknown;
          if (sign !== undefined && reply.open) {
            try {
              ticket = await sign(order);
            } catch (err) {
              ctx.log.warn({ err, orderId }, 'e-ticket signing failed; answering without a ticket');
            }
          }
          reply.ok(1, 'paid', ticket === undefined ? order : { ...order, ticket });
        });
      },
    },
    {
      pattern: '/orders/:id/cancel',
      post: (reply, req) => {
        const orderId = req.getParameter(0) ?? '';
        run(reply, orderId, async () => {
          const order = await ctx.engine.cancel(orderId);
          reply.ok(1, 'cancelled', order);
        });
      },
    },
  ];
}
