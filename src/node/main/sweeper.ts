import type { KnownSale } from './registry.js';

/**
 * Main thread, every --sweep-ms (500 ms): releases expired holds for every known sale via the engine's
 * expireDue (one bounded script call per page; loops while the script says more holds are due, at most `maxPages` per
 * sale per tick so one huge backlog cannot starve the others). Safe on every node at once: the script
 * removes each deadline entry atomically, so a hold returns to the pool exactly once whoever sweeps it.
 * Returned units reach the local quotas through the reconciler's next refresh. A sale whose sweep fails is reported
 * (once per tick, with the others that failed) and the next sale is swept all the same.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  constructor(
    /** Live sales and finished ones whose holds may still be due (SaleRegistry.sweepable). */
    private readonly sales: () => Array<Pick<KnownSale, 'info'>>,
    /** Releases up to `limit` due holds; `more`: further holds are already due (a page can release fewer than
     *  `limit` and still have more, since paid or cancelled orders of a due batch are skipped). */
    private readonly expire: (saleId: string, limit: number) => Promise<{ expired: number; more: boolean }>,
    /** Called once per tick that had failures: the first error and every sale that failed (the others were swept). */
    private readonly onError: (err: unknown, failedSales: string[]) => void,
    private readonly pageSize = 200,
    private readonly maxPages = 10,
  ) {}

  start(everyMs: number): void {
    if (everyMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
  }

  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let total = 0;
    let firstError: unknown;
    const failed: string[] = [];
    try {
      for (const sale of this.sales()) {
        // One sale's error (a broken key, a script error) stays with it: the next sale is swept all the same.
        try {
          for (let page = 0; page < this.maxPages; page++) {
            const { expired, more } = await this.expire(sale.info.id, this.pageSize);
            total += expired;
            if (!more) break;
          }
        } catch (err) {
          if (failed.length === 0) firstError = err;
          failed.push(sale.info.id);
        }
      }
      if (failed.length > 0) this.onError(firstError, failed);
    } catch (err) {
      this.onError(err, failed);
    } finally {
      this.running = false;
    }
    return total;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
