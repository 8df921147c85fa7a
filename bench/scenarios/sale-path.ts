// sale-path: every request a new buyer, stock larger than demand, straight to one node — every purchase is a
// commit in Redis before its answer. The figure issue 12's "ticket-spike >= 2x typical" is about.
import { ENDLESS_STOCK, oneNode, type Plan, type Scenario } from '../lib/plan.js';
import { SYSTEMS } from '../lib/system.js';

export const salePath: Scenario = {
  name: 'sale-path',
  about: 'every request a new buyer, stock > demand (every purchase commits), direct to one node with 2 threads/workers',
  plans: (o) =>
    SYSTEMS.map(
      (system): Plan => ({
        scenario: 'sale-path',
        system,
        layout: oneNode(),
        sale: { id: 'SALEPATH', stock: ENDLESS_STOCK, anonymous: false },
        load: { tool: 'wrk', script: 'buyers', mode: 'user', seconds: o.duration },
        judge: 'sale',
      }),
    ),
};
