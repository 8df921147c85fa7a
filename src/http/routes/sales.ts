import { answerEngineError } from '../engine-errors.js';
import type { SalePort } from '../ports.js';
import { checkSale } from '../request-rules.js';
import type { Route } from '../router.js';
import { saleView } from '../sale-view.js';

/** GET /sales/{id} -> {id, total, held, paid, remaining, open, paused, state, ...} read from Redis (the truth, not the local quota). */
export function saleRoutes(port: SalePort): Route[] {
  return [
    {
      pattern: '/sales/:id',
      get: (reply, req) => {
        const id = req.getParameter(0) ?? '';
        const bad = checkSale(id, 'the sale id in the path');
        if (bad !== null) return reply.error(bad);
        reply.settle(
          port.status(id),
          (status) => {
            if (status === null) return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `no sale ${id}: check the sale id` });
            reply.ok(1, status.open ? 'open' : 'not open', { ...saleView(status), localQuota: port.localQuota(id) });
          },
          (err) => answerEngineError(reply, err, `sale ${id}`),
        );
      },
    },
  ];
}
