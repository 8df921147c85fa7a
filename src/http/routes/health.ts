import type { HealthPort } from '../ports.js';
import type { Route } from '../router.js';

/** /healthz: the thread answers. /readyz: and its Redis connection answers PING within 500 ms. /metrics. */
export function healthRoutes(port: HealthPort): Route[] {
  return [
    {
      pattern: '/healthz',
      get: (reply) => reply.ok(1, 'ok', { node: port.nodeId, thread: port.thread, draining: port.draining() }),
    },
    {
      pattern: '/readyz',
      get: (reply) => {
        if (port.draining()) return reply.unavailable('SHUTTING_DOWN', 'this node is shutting down');
        reply.settle(
          pingWithin(port, 500),
          () => reply.ok(1, 'ready', { node: port.nodeId, thread: port.thread }),
          (err) => reply.unavailable('REDIS_UNAVAILABLE', 'Redis is not reachable from this node; purchases answer 503 until it is', undefined, err),
        );
      },
    },
    {
      pattern: '/metrics',
      get: (reply) => {
        reply.settle(port.metrics(), (scrape) => {
          if (scrape === null) return reply.unavailable('METRICS_UNAVAILABLE', 'the main thread did not answer; retry');
          reply.send(200, scrape.text, undefined, false, scrape.contentType);
        });
      },
    },
  ];
}

/** Redis's PONG, or a rejection once `ms` have passed without one. */
async function pingWithin(port: HealthPort, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no PONG within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([port.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
