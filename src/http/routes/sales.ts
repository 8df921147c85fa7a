import { answerEngineError } from '../engine-errors.js';
import type { SalePort } from '../ports.js';
import { checkSale } from '../request-rules.js';
import type { Route } from '../router.js';
import { saleView } from '../sale-view.js';

/**
 * GET /sales/{id} -> {id, total, held, paid, remaining, open, paused, state, ...} read from Redis (the truth, not the
 * local quota). GET /sales/{id}/availability[?from=A&to=B] -> a train's seats left per class, for the pair or for
 * every pair, from the node's shared memory (no Redis call).
 */
export function saleRoutes(port: SalePort): Route[] {
  return [
    {
      pattern: '/sales/:id/availability',
      get: (reply, req) => {
        const id = req.getParameter(0) ?? '';
        const from = req.getQuery('from');
        const to = req.getQuery('to');
        const bad = checkSale(id, 'the sale id in the path');
        if (bad !== null) return reply.error(bad);
        reply.settle(
          port.availability(id, from, to),
          (answer) => {
            if (answer === null) return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `no sale ${id}: check the sale id` });
            if (answer === 'counter') {
              return reply.error({ status: 400, error: 'NOT_A_TRAIN', msg: `sale ${id} sells a count, not seats on a route: GET /sales/${id} has what is left` });
            }
            switch (answer.kind) {
              case 'pair':
                return reply.ok(1, 'seats left', { ...answer.pair, version: answer.version });
              case 'pairs':
                return reply.ok(1, 'seats left', { pairs: answer.pairs, version: answer.version });
              case 'bad_pair':
                return reply.error({ status: 400, error: 'BAD_TRIP', msg: answer.problem });
              case 'not_ready':
                return reply.unavailable('NOT_READY', `this node has not read sale ${id}'s seats yet: retry in a second`);
            }
          },
          // The cause goes to the node's log, never into the body (it is an internal error's text).
          (err) => reply.unavailable('REDIS_UNAVAILABLE', `could not look up sale ${id}: retry shortly`, undefined, err),
        );
      },
    },
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
