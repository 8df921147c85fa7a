import type { SaleFacts } from '../../sale/types.js';
import type { KnownSale } from './registry.js';

/**
 * Main thread, every --reconcile-ms (200 ms): reads each known sale's status from Redis and hands it to
 * `apply` (the quota rules' applyFacts, src/sale/quota.ts), one sale after another so a slow Redis never
 * piles reads up.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  constructor(
    private readonly sales: () => KnownSale[],
    private readonly read: (id: string) => Promise<SaleFacts | null>,
    private readonly apply: (sale: KnownSale, facts: SaleFacts) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(everyMs: number): void {
    if (everyMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const sale of this.sales()) {
        const facts = await this.read(sale.info.id);
        if (facts === null) continue;
        sale.last = facts;
        sale.lastReadAt = Date.now();
        this.apply(sale, facts);
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
