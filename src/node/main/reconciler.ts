import type { SaleFacts } from '../../sale/types.js';
import type { KnownSale } from './registry.js';

/**
 * Main thread, every --reconcile-ms (200 ms): reads each known sale's status from Redis and hands it to
 * `apply` (the quota rules' applyFacts, src/sale/quota.ts), one sale after another so a slow Redis never
 * piles reads up. A sale whose read fails keeps its last facts and is reported (once per tick, with the others that
 * failed); the next sale is read all the same.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  constructor(
    private readonly sales: () => KnownSale[],
    private readonly read: (id: string) => Promise<SaleFacts | null>,
    private readonly apply: (sale: KnownSale, facts: SaleFacts) => void,
    /** Called once per tick that had failures: the first error and every sale that failed (the others were read). */
    private readonly onError: (err: unknown, failedSales: string[]) => void,
  ) {}

  start(everyMs: number): void {
    if (everyMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    let firstError: unknown;
    const failed: string[] = [];
    try {
      for (const sale of this.sales()) {
        // One sale's error stays with it (its quota keeps its last value): the next sale is read all the same.
        try {
          const facts = await this.read(sale.info.id);
          if (facts === null) continue;
          sale.last = facts;
          sale.lastReadAt = Date.now();
          this.apply(sale, facts);
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
      if (this.again) {
        this.again = false;
        void this.tick();
      }
    }
  }

  /**
   * Reads every sale now, or right after the read under way (which may have read a sale before the change):
   * an operator's change made through this node is in its shared memory at once, not a period later.
   */
  soon(): void {
    if (this.running) this.again = true;
    else void this.tick();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
