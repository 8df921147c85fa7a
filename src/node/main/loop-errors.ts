import type { Logger } from '../../log/logger.js';

/**
 * The error handler of a main-thread loop (reconcile, expiry sweep, ...): at most one warning per 5 s per loop,
 * so a Redis that is away for minutes writes a line every 5 s, not one per tick. A loop that goes on past a
 * failing sale passes the sales that failed in the tick: the line names them (the first 10) and counts them.
 */
export function loopErrors(log: Logger): (what: string) => (err: unknown, failedSales?: string[]) => void {
  return (what) => {
    let lastLogged = 0;
    return (err, failedSales) => {
      if (Date.now() - lastLogged > 5000) {
        lastLogged = Date.now();
        const sales = failedSales === undefined || failedSales.length === 0 ? {} : { sales: failedSales.slice(0, 10), failed: failedSales.length };
        log.warn({ err: (err as Error).message, ...sales }, `${what} failed; retrying`);
      }
    };
  };
}
