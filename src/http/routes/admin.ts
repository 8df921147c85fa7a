import { bearerMatches } from '../bearer.js';
import { contentLengthOf, isJson, readBody } from '../body.js';
import { answerEngineError } from '../engine-errors.js';
import type { AdminPort } from '../ports.js';
import { isRejection, parseSaleBody } from '../request-rules.js';
import type { Route } from '../router.js';

/** POST /admin/sales with Authorization: Bearer <ADMIN_TOKEN>: creates a sale (201), 409 if the id exists. */
export function adminRoutes(port: AdminPort): Route[] {
  return [
    {
      pattern: '/admin/sales',
      post: (reply, req) => {
        const auth = req.getHeader('authorization');
        const contentType = req.getHeader('content-type');
        const contentLength = contentLengthOf(req);
        if (typeof contentLength !== 'string') return reply.error(contentLength, undefined, undefined, true);
        const token = port.adminToken;
        if (token === null) {
          return reply.error({ status: 401, error: 'ADMIN_DISABLED', msg: 'admin is disabled on this node: start it with ADMIN_TOKEN set' }, [
            ['WWW-Authenticate', 'Bearer'],
          ]);
        }
        if (!bearerMatches(auth, token)) {
          return reply.error(
            { status: 401, error: 'UNAUTHORIZED', msg: 'send Authorization: Bearer <ADMIN_TOKEN> (the token this node was started with)' },
            [['WWW-Authenticate', 'Bearer']],
          );
        }
        if (!isJson(contentType)) {
          return reply.error({ status: 415, error: 'UNSUPPORTED_MEDIA_TYPE', msg: 'send Content-Type: application/json' });
        }
        readBody(reply, contentLength, port.maxBodyBytes, (text) => {
          const config = parseSaleBody(text);
          if (isRejection(config)) return reply.error(config);
          port
            .createSale(config)
            .then((result) => {
              if (result === 'exists') {
                return reply.error({ status: 409, error: 'SALE_EXISTS', msg: `sale ${config.id} already exists: pick another id` });
              }
              port.announceSale(config.id);
              const data = { ...config, opensAt: config.opensAt ?? null, closesAt: config.closesAt ?? null };
              reply.send(201, JSON.stringify({ code: 1, msg: 'created', data }));
            })
            .catch((err: unknown) => answerEngineError(reply, err, `sale ${config.id}`));
        });
      },
    },
  ];
}
