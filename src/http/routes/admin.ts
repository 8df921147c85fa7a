import { timingSafeEqual } from 'node:crypto';
import type { ThreadContext } from '../../node/thread-context.js';
import { isJson, readBody } from '../body.js';
import type { Route } from '../router.js';
import { isRejection, parseSaleBody } from '../validate.js';
import { answerEngineError } from './orders.js';

/** POST /admin/sales with Authorization: Bearer <ADMIN_TOKEN>: creates a sale (201), 409 if the id exists. */
export function adminRoutes(ctx: ThreadContext): Route[] {
  return [
    {
      pattern: '/admin/sales',
      post: (reply, req) => {
        const auth = req.getHeader('authorization');
        const contentType = req.getHeader('content-type');
        const contentLength = req.getHeader('content-length');
        const token = ctx.config.adminToken;
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
        readBody(reply, contentLength, ctx.config.maxBodyBytes, (text) => {
          const input = parseSaleBody(text);
          if (isRejection(input)) return reply.error(input);
          ctx.begin();
          const config = {
            id: input.id,
            total: input.total,
            perUserLimit: input.perUserLimit,
            holdSeconds: input.holdSeconds,
            anonymous: input.anonymous,
            ...(input.opensAt !== null ? { opensAt: input.opensAt } : {}),
            ...(input.closesAt !== null ? { closesAt: input.closesAt } : {}),
          };
          ctx.engine
            .createSale(config)
            .then((result) => {
              if (result === 'exists') {
                return reply.error({ status: 409, error: 'SALE_EXISTS', msg: `sale ${input.id} already exists: pick another id` });
              }
              ctx.post({ type: 'sale-created', id: input.id });
              reply.send(201, JSON.stringify({ code: 1, msg: 'created', data: input }));
            })
            .catch((err: unknown) => answerEngineError(reply, err, `sale ${input.id}`))
            .finally(() => ctx.end());
        });
      },
    },
  ];
}

function bearerMatches(header: string, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) return false;
  const given = Buffer.from(match[1]!);
  const wanted = Buffer.from(token);
  // Constant-time compare so response timing does not leak the token byte by byte.
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
