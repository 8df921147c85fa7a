import type { ThreadContext } from '../../node/thread-context.js';
import type { Route } from '../router.js';
import { checkSale } from '../validate.js';
import { answerEngineError } from './orders.js';

/** GET /sales/{id} -> {id, total, held, paid, remaining, open, ...} read from Redis (the truth, not the local quota). */
export function saleRoutes(ctx: ThreadContext): Route[] {
  return [
    {
      pattern: '/sales/:id',
      get: (reply, req) => {
        const id = req.getParameter(0) ?? '';
        const bad = checkSale(id, 'the sale id in the path');
        if (bad !== null) return reply.error(bad);
        ctx.begin();
        ctx.engine
          .status(id)
          .then((status) => {
            if (status === null) return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `no sale ${id}: check the sale id` });
            const known = ctx.sales.get(id);
            reply.ok(1, status.open ? 'open' : 'not open', {
              ...status,
              opensAt: status.opensAt > 0 ? new Date(status.opensAt).toISOString() : null,
              closesAt: status.closesAt > 0 ? new Date(status.closesAt).toISOString() : null,
              createdAt: status.createdAt > 0 ? new Date(status.createdAt).toISOString() : null,
              localQuota: known === undefined ? null : ctx.stock.available(known.slot),
            });
          })
          .catch((err: unknown) => answerEngineError(reply, err, `sale ${id}`))
          .finally(() => ctx.end());
      },
    },
  ];
}
