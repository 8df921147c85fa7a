import type { QueueLookup, QueuePort } from '../../http/ports.js';
import type { QueueDesk } from '../../sale/queue-desk.js';
import type { SaleInfo } from '../../sale/types.js';
import type { ThreadParts } from './ports.js';

/**
 * The waiting room's routes' port: joins through the engine (one script), polls from the QueueDesk and the
 * sale's board in shared memory. A known sale is answered synchronously; an unknown one costs one question to
 * the main thread (which reads Redis at most once per id per second), never one per poll.
 */
export function queuePort(parts: ThreadParts, queue: QueueDesk): QueuePort {
  const withSale = (saleId: string, go: (sale: SaleInfo | null, error?: string) => void) => {
    const known = parts.directory.get(saleId);
    if (known !== undefined) return go(known);
    parts.directory.find(saleId, go);
  };
  return {
    auth: parts.auth,
    maxBodyBytes: parts.config.maxBodyBytes,
    join: (saleId, user) => {
      if (!queue.ready) return Promise.resolve({ kind: 'not_ready' as const });
      return new Promise((resolve, reject) =>
        withSale(saleId, (sale, error) => {
          if (error !== undefined) return reject(new Error(error));
          if (sale === null) return resolve({ kind: 'unknown' as const });
          queue.join(sale, user, parts.auth.required).then(resolve, reject);
        }),
      );
    },
    status: (saleId, token, done: (found: QueueLookup) => void) => {
      if (!queue.ready) return done({ kind: 'not_ready' });
      // The token names its sale: a forged one, or another sale's, is refused before any lookup.
      if (queue.saleOfTicket(token) !== saleId) return done({ kind: 'bad_token' });
      withSale(saleId, (sale, error) => {
        if (error !== undefined) return done({ kind: 'lookup_failed', reason: error });
        if (sale === null) return done({ kind: 'unknown_sale' });
        const status = queue.status(sale, token);
        done(status === null ? { kind: 'bad_token' } : { kind: 'status', status });
      });
    },
  };
}
