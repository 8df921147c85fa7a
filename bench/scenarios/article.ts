// article: the article's own benchmark, `ab -n 10000 -c 100` on GET /buy/ticket (no user: an anonymous sale,
// one URL) through nginx, HTTP/1.0 and a new connection per request. uWS answers HTTP/1.0 with 505, so ab only
// ever goes through nginx, which speaks HTTP/1.1 upstream.
import { FOUR_NODES, oneNodeBehindNginx, type Plan, type Scenario } from '../lib/plan.js';
import { SYSTEMS } from '../lib/system.js';

export const article: Scenario = {
  name: 'article',
  about: 'ab -n N -c C through nginx (HTTP/1.0, no keep-alive), anonymous buyers, stock = N',
  plans: (o) =>
    SYSTEMS.map(
      (system): Plan => ({
        scenario: 'article',
        system,
        layout: system === 'hello' || system === 'ticket-spike' ? FOUR_NODES : oneNodeBehindNginx(system === 'typical' ? 2 : 1),
        sale: { id: 'ARTICLE', stock: o.abRequests, anonymous: true },
        load: { tool: 'ab', requests: o.abRequests, concurrency: o.connections },
        judge: 'sale',
      }),
    ),
};
