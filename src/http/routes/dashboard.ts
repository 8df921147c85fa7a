import type { Asset } from '../page-files.js';
import type { Reply } from '../reply.js';
import type { Route } from '../router.js';

/** The page may talk only to its own origin (its scripts, styles, the admin API and the WebSocket). */
const PAGE_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Cache-Control', 'no-cache'],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['Content-Security-Policy', "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'"],
];

/** GET /dashboard (the live dashboard page) and its files under /dashboard/ (docs/operations.md "The live dashboard"). */
export function dashboardRoutes(assets: ReadonlyMap<string, Asset>): Route[] {
  const serve = (reply: Reply, name: string) => {
    const asset = assets.get(name);
    if (asset === undefined) return reply.error({ status: 404, error: 'NOT_FOUND', msg: `no dashboard file ${name.slice(0, 80)}: open /dashboard` });
    reply.send(200, asset.body, PAGE_HEADERS, false, asset.contentType);
  };
  return [
    { pattern: '/dashboard', get: (reply) => serve(reply, 'index.html') },
    {
      pattern: '/dashboard/*',
      get: (reply, req) => {
        const name = req.getUrl().slice('/dashboard/'.length);
        serve(reply, name === '' ? 'index.html' : name);
      },
    },
  ];
}
