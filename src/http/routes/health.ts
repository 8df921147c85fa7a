import type { ThreadContext } from '../../node/thread-context.js';
import type { Route } from '../router.js';

/** /healthz: the thread answers. /readyz: and its Redis connection answers PING within 500 ms. /metrics. */
export function healthRoutes(ctx: ThreadContext): Route[] {
  return [
    {
      pattern: '/healthz',
      get: (reply) => reply.ok(1, 'ok', { node: ctx.config.id, thread: ctx.index, draining: ctx.draining }),
    },
    {
      pattern: '/readyz',
      get: (reply) => {
        if (ctx.draining) return reply.unavailable('SHUTTING_DOWN', 'this node is shutting down');
        ctx.begin();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no PONG within 500 ms')), 500);
        });
        Promise.race([ctx.redis.ping(), timeout])
          .then(() => reply.ok(1, 'ready', { node: ctx.config.id, thread: ctx.index }))
          .catch((err: unknown) =>
            reply.unavailable('REDIS_UNAVAILABLE', `Redis is not reachable (${(err as Error).message}); purchases answer 503 until it is`),
          )
          .finally(() => {
            clearTimeout(timer);
            ctx.end();
          });
      },
    },
    {
      pattern: '/metrics',
      get: (reply) => {
        ctx.begin();
        ctx.metrics((text, contentType) => {
          ctx.end();
          if (contentType === '') return reply.unavailable('METRICS_UNAVAILABLE', 'the main thread did not answer; retry');
          reply.send(200, text, undefined, false, contentType);
        });
      },
    },
  ];
}
