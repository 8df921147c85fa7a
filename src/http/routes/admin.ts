import { ADMIN_CHALLENGE, adminRejection } from '../bearer.js';
import { contentLengthOf, isJson, readBody } from '../body.js';
import { answerEngineError } from '../engine-errors.js';
import type { AdminPort } from '../ports.js';
import { isRejection, parseSalePageQuery, parseSaleBody } from '../request-rules.js';
import type { Route } from '../router.js';
import { saleView } from '../sale-view.js';
import { saleOperationRoutes } from './admin-operations.js';

/**
 * Every /admin route, all behind one check of Authorization: Bearer <ADMIN_TOKEN> (adminRejection, 401 first):
 * POST /admin/sales creates a sale (201; 409 if the id exists); GET /admin/sales?after=&limit= lists every sale
 * with its counters, a page at a time; the operations on one sale are in admin-operations.ts.
 */
/** A sale's body may hold a train of 64 stations and 64 coaches (~8 KB of JSON): room for it, bounded. */
export const SALE_BODY_BYTES = 65_536;

export function adminRoutes(port: AdminPort): Route[] {
  return [
    {
      pattern: '/admin/sales',
      get: (reply, req) => {
        const denied = adminRejection(req.getHeader('authorization'), port.adminToken);
        if (denied !== null) return reply.error(denied, ADMIN_CHALLENGE);
        const page = parseSalePageQuery(req.getQuery('after') ?? '', req.getQuery('limit') ?? '');
        if (isRejection(page)) return reply.error(page);
        reply.settle(
          port.listSales(page.after, page.limit),
          (listed) => reply.ok(1, `${listed.sales.length} sales`, { sales: listed.sales.map(saleView), next: listed.next }),
          (err) => answerEngineError(reply, err, 'the sale list'),
        );
      },
      post: (reply, req) => {
        const auth = req.getHeader('authorization');
        const contentType = req.getHeader('content-type');
        const contentLength = contentLengthOf(req);
        if (typeof contentLength !== 'string') return reply.error(contentLength, undefined, undefined, true);
        const denied = adminRejection(auth, port.adminToken);
        if (denied !== null) return reply.error(denied, ADMIN_CHALLENGE);
        if (!isJson(contentType)) {
          return reply.error({ status: 415, error: 'UNSUPPORTED_MEDIA_TYPE', msg: 'send Content-Type: application/json' });
        }
        // Behind the admin token: a train's route and coaches may need more than the purchase routes' body cap.
        readBody(reply, contentLength, Math.max(port.maxBodyBytes, SALE_BODY_BYTES), (text) => {
          const config = parseSaleBody(text);
          if (isRejection(config)) return reply.error(config);
          reply.settle(
            port.createSale(config),
            (result) => {
              if (result === 'exists') {
                return reply.error({ status: 409, error: 'SALE_EXISTS', msg: `sale ${config.id} already exists: pick another id` });
              }
              port.announceSale(config.id);
              const data = { ...config, opensAt: config.opensAt ?? null, closesAt: config.closesAt ?? null };
              reply.send(201, JSON.stringify({ code: 1, msg: 'created', data }));
            },
            (err) => answerEngineError(reply, err, `sale ${config.id}`),
          );
        });
      },
    },
    ...saleOperationRoutes(port),
  ];
}
