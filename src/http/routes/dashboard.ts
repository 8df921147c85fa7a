import { pageServer, type Asset } from '../page-files.js';
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
  const serve = pageServer(assets, PAGE_HEADERS, 'dashboard', '/dashboard');
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
