// mixed: a crowd that does more than click once — repeat clicks, retries with the same Idempotency-Key, pays
// and cancels (bench/wrk/mixed.lua) — against one ticket-spike node. The baselines have no orders to pay or
// cancel, so this one is ticket-spike's alone; its audit is the point.
import { ENDLESS_STOCK, oneNode, type Scenario } from '../lib/plan.js';

export const mixed: Scenario = {
  name: 'mixed',
  about: 'new buyers, repeat clicks, retries with Idempotency-Key, pays and cancels; direct to one node with 2 threads',
  plans: (o) => [
    {
      scenario: 'mixed',
      system: 'ticket-spike',
      layout: oneNode(),
      sale: { id: 'MIXED', stock: ENDLESS_STOCK, anonymous: false },
      load: { tool: 'wrk', script: 'mixed', seconds: o.duration },
      judge: 'mixed',
    },
  ],
};
