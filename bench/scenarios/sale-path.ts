// sale-path: every request a new buyer, stock larger than demand, straight to one node — every purchase is a
// commit in Redis before its answer. The figure issue 12's "ticket-spike >= 2x typical" is about.
// sale-path-400 and sale-path-1000: the same at 400 and 1,000 wrk connections whatever --connections says
// (issue 21). The more purchases wait at once, the more one batch (ticket-spike) or one fsync (Redis, appendfsync
// always) can carry; a design that commits one purchase per round trip cannot use them.
import { ENDLESS_STOCK, oneNode, type Plan, type Scenario } from '../lib/plan.js';
import { SYSTEMS } from '../lib/system.js';

const ABOUT = 'every request a new buyer, stock > demand (every purchase commits), direct to one node with 2 threads/workers';

function salePathScenario(name: string, connections?: number): Scenario {
  return {
    name,
    about: connections === undefined ? ABOUT : `${ABOUT}, ${connections} connections`,
    plans: (o) =>
      SYSTEMS.map(
        (system): Plan => ({
          scenario: name,
          system,
          layout: oneNode(),
          sale: { id: 'SALEPATH', stock: ENDLESS_STOCK, anonymous: false },
          load: { tool: 'wrk', script: 'buyers', mode: 'user', seconds: o.duration, ...(connections === undefined ? {} : { connections }) },
          judge: 'sale',
          commitsEveryPurchase: true,
        }),
      ),
  };
}

export const salePath = salePathScenario('sale-path');
export const salePath400 = salePathScenario('sale-path-400', 400);
export const salePath1000 = salePathScenario('sale-path-1000', 1000);
