import { pageServer, type Asset } from '../page-files.js';
import { checkSale } from '../request-rules.js';
import type { Route } from '../router.js';

/**
 * The page may talk only to its own origin: its scripts and styles, and the queue, purchase and order API. No inline
 * script or style; the ticket's QR code is an <img> with a data: URL. Its forms post nowhere but here, no one may
 * frame it (a pass is worth tricking a click for), and it sends no Referer.
 */
const PAGE_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Cache-Control', 'no-cache'],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['Content-Security-Policy', "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"],
];

/**
 * GET /buy/{sale} (the buyer's page: join the waiting room, wait, buy, pay, the e-ticket) and its files under
 * /buyer/ (the page's own and the QR library's, src/http/buyer/assets.ts).
 *
 * `GET /buy/ticket` is the purchase route (src/http/routes/buy.ts): uWS tries a static segment before a
 * parameter whatever the order of registration, so a sale literally named `ticket` has no page here (its buyers
 * use the API). Every other sale id gets the same page, which reads the id from its own path; an id the rules
 * refuse is answered 400 here, an unknown one is said on the page (GET /sales/{id} answers 404).
 */
export function buyerPageRoutes(assets: ReadonlyMap<string, Asset>): Route[] {
  const serve = pageServer(assets, PAGE_HEADERS, 'buyer page', '/buy/{sale}');
  return [
    {
      pattern: '/buy/:sale',
      get: (reply, req) => {
        const bad = checkSale(req.getParameter(0) ?? '', 'the sale id in the path');
        if (bad !== null) return reply.error(bad);
        serve(reply, 'index.html');
      },
    },
    { pattern: '/buyer/*', get: (reply, req) => serve(reply, req.getUrl().slice('/buyer/'.length)) },
  ];
}
