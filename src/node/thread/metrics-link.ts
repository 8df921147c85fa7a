import type { ThreadToMain } from '../messages.js';

export interface MetricsScrape {
  text: string;
  contentType: string;
}

/** Asks the main thread for the Prometheus text (it owns the registry); null when it does not answer in 2 s. */
export class MetricsLink {
  private readonly waiters = new Map<number, (scrape: MetricsScrape | null) => void>();
  private nextId = 1;

  constructor(
    private readonly post: (message: ThreadToMain) => void,
    private readonly timeoutMs = 2000,
  ) {}

  scrape(): Promise<MetricsScrape | null> {
    return new Promise((resolve) => {
      const reqId = this.nextId++;
      this.waiters.set(reqId, resolve);
      this.post({ type: 'metrics', reqId });
      const timer = setTimeout(() => this.answered(reqId, null), this.timeoutMs);
      timer.unref();
    });
  }

  answered(reqId: number, scrape: MetricsScrape | null): void {
    const waiter = this.waiters.get(reqId);
    this.waiters.delete(reqId);
    waiter?.(scrape);
  }
}
