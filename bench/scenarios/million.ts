// million: the article's promise — a million distinct buyers for 10,000 tickets through nginx weighted 1:2:3:4
// over four nodes — against four hello nodes behind the same nginx (the ceiling of that picture) and the
// article's design behind it. Bounded by buyers, not time: each wrk thread sends its share and stops. The
// article gets the first --article-buyers of the crowd (250,000): at its rate the whole million would take
// two of the ten minutes, and its rate is steady long before (sold out, answered one at a time behind its lock).
import { FOUR_NODES, oneNodeBehindNginx, type Plan, type Scenario } from '../lib/plan.js';
import type { SystemName } from '../lib/system.js';

const SYSTEMS: SystemName[] = ['hello', 'ticket-spike', 'article'];

export const million: Scenario = {
  name: 'million',
  about: 'distinct buyers for 10,000 tickets through nginx 1:2:3:4 over four 1-thread nodes (the article: one process behind nginx)',
  plans: (o) =>
    SYSTEMS.map(
      (system): Plan => ({
        scenario: 'million',
        system,
        layout: system === 'article' ? oneNodeBehindNginx(1) : FOUR_NODES,
        sale: { id: 'MILLION', stock: o.millionStock, anonymous: false },
        // -d is only the cap; the run ends when every buyer was answered.
        load: {
          tool: 'wrk',
          script: 'buyers',
          mode: 'user',
          seconds: o.quick ? 60 : 400,
          budgetPerThread: Math.ceil((system === 'article' ? Math.min(o.buyers, o.articleBuyers) : o.buyers) / o.threads),
        },
        judge: 'sale',
      }),
    ),
};
