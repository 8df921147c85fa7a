import type { Logger } from '../../log/logger.js';

/**
 * The error handler of a main-thread loop (reconcile, expiry sweep, ...): at most one warning per 5 s per loop,
 * so a Redis that is away for minutes writes a line every 5 s, not one per tick.
 */
export function loopErrors(log: Logger): (what: string) => (err: unknown) => void {
  return (what) => {
    let lastLogged = 0;
    return (err) => {
      if (Date.now() - lastLogged > 5000) {
        lastLogged = Date.now();
        log.warn({ err: (err as Error).message }, `${what} failed; retrying`);
      }
    };
  };
}
