// sold-out: 10,000 tickets, then a crowd of new buyers who all hear "sold out" — what a flash sale is after its
// first second. ticket-spike answers these from shared memory; the baselines from Redis (typical) or from a
// local counter behind their lock (article).
import { oneNode, type Plan, type Scenario } from '../lib/plan.js';
import { SYSTEMS } from '../lib/system.js';

export const soldOut: Scenario = {
  name: 'sold-out',
  about: 'a few tickets, then every new buyer hears sold out; direct to one node with 2 threads/workers',
  plans: (o) =>
    SYSTEMS.map(
      (system): Plan => ({
        scenario: 'sold-out',
        system,
        layout: oneNode(),
        sale: { id: 'SOLDOUT', stock: o.soldOutStock, anonymous: false },
        load: { tool: 'wrk', script: 'buyers', mode: 'user', seconds: o.duration },
        judge: 'sale',
        // The figures are those of the sold-out answers alone: the first tickets are sold before they start.
        sellOutFirst: true,
      }),
    ),
};
