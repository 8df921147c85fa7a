import type { Cluster, Redis } from 'ioredis';
import type { OrderLagRow } from '../../metrics/registry.js';
import { orderLag } from '../../redis/order-stream.js';

/**
 * How far the order workers are behind on each sale this node knows (issue 11), read every `everyMs` by the
 * main thread (one timer, never two reads at once) for /metrics. Redis down: the tick is skipped and the last
 * figures stay (as the sale gauges do). A sale without the workers' group yet (no worker ever ran for it) has
 * no rows: nothing could say how far behind it is. Sales the node no longer knows are dropped.
 */
export class OrderLagWatch {
  private rows = new Map<string, OrderLagRow>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly sales: () => string[],
    private readonly onError: (err: unknown) => void,
  ) {}

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  current(): OrderLagRow[] {
    return [...this.rows.values()];
  }

  async tick(): Promise<void> {
    if (this.running || this.redis.status !== 'ready') return;
    this.running = true;
    try {
      const [seconds, micros] = await this.redis.time();
      const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const next = new Map<string, OrderLagRow>();
      for (const sale of this.sales()) {
        const lag = await orderLag(this.redis, sale, nowMs);
        if (lag.group) next.set(sale, { sale, pending: lag.pending, unread: lag.unread, oldestAgeSeconds: lag.oldestAgeMs / 1000 });
      }
      this.rows = next;
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
    }
  }
}
