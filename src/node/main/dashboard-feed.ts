import type { Cluster, Redis } from 'ioredis';
import type { NodeConfig } from '../../config/node-config.js';
import type { Logger } from '../../log/logger.js';
import { RateWindow } from '../../metrics/window.js';
import { DASHBOARD_KEEP_MS, dropBeats, readBeats, writeBeat } from '../../redis/node-beats.js';
import type { SaleFacts } from '../../sale/types.js';
import type { QueueMetricRow } from '../../metrics/queue-metrics.js';
import { StoreProbe } from '../../store/probe.js';
import { buildSnapshot, type NodeBeat, type StoreState } from './dashboard-snapshot.js';

export interface DashboardFeedOptions {
  nodeId: string;
  weight: number;
  threads: number;
  metricsBuffer: SharedArrayBuffer;
  redis: Redis | Cluster;
  databaseUrl: string | null;
  /** One tick: heartbeat written, and (with dashboards connected) one snapshot pushed. */
  intervalMs: number;
  /** Every sale this node knows, as last read from Redis (the reconciler's facts: no extra read here). */
  sales: () => SaleFacts[];
  /** The waiting rooms this node keeps (src/node/main/queue-keeper.ts). */
  queues?: () => QueueMetricRow[];
  /** Hands one snapshot (JSON) to every uWS thread; each sends it to its own dashboards. */
  push: (json: string) => void;
  onError: (err: unknown) => void;
}

/**
 * The live dashboard's main-thread half (docs/architecture.md "The live dashboard"). Every tick:
 * - samples the threads' shared counters once (RateWindow: rates and p50/p99 over the last ~2 s);
 * - writes this node's heartbeat to Redis, and — only while some thread has a dashboard connected — reads
 *   every node's heartbeat back, in the background: at most one Redis exchange on the way, so a slow Redis
 *   never delays a push, and the uWS threads never touch any of it;
 * - while watched, builds ONE snapshot and posts its JSON to the threads (not one per connection).
 * A node whose heartbeat is older than `downAfterMs` (4 ticks, at least 2 s) shows as down.
 */
export class DashboardFeed {
  private readonly window: RateWindow;
  private readonly watchers = new Map<number, { count: number; dropped: number }>();
  private readonly probe: StoreProbe | null;
  private beats = new Map<string, Record<string, unknown>>();
  private lastRedisOk = 0;
  private exchanging = false;
  private timer: NodeJS.Timeout | undefined;
  readonly downAfterMs: number;

  constructor(private readonly o: DashboardFeedOptions) {
    this.window = new RateWindow(o.metricsBuffer, o.threads, Math.max(2, Math.round(2000 / o.intervalMs) + 1));
    this.probe = o.databaseUrl === null ? null : new StoreProbe(o.databaseUrl);
    this.downAfterMs = Math.max(2000, 4 * o.intervalMs);
  }

  static forNode(config: NodeConfig, metricsBuffer: SharedArrayBuffer, redis: Redis | Cluster, sales: () => SaleFacts[], push: (json: string) => void, log: Logger, queues?: () => QueueMetricRow[]): DashboardFeed {
    const { id: nodeId, weight, threads, databaseUrl, dashboardMs: intervalMs } = config;
    const onError = (err: unknown) => log.debug({ err: (err as Error).message }, 'dashboard heartbeat failed; next tick');
    return new DashboardFeed({ nodeId, weight, threads, databaseUrl, intervalMs, metricsBuffer, redis, sales, push, onError, ...(queues === undefined ? {} : { queues }) });
  }

  /** A thread's count of connected dashboards (and of those it dropped as too slow) changed. */
  watched(thread: number, count: number, dropped: number): void {
    this.watchers.set(thread, { count, dropped });
  }

  private get connected(): number {
    let n = 0;
    for (const w of this.watchers.values()) n += w.count;
    return n;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.o.intervalMs);
    this.timer.unref();
    this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.probe?.close();
  }

  tick(now = Date.now()): void {
    let dropped = 0;
    for (const w of this.watchers.values()) dropped += w.dropped;
    const watched = this.connected > 0;
    const self: NodeBeat = {
      id: this.o.nodeId,
      at: now,
      threads: this.o.threads,
      weight: this.o.weight,
      dashboards: this.connected,
      dashboardsDropped: dropped,
      ...this.window.sample(now),
    };
    if (!this.exchanging) {
      this.exchanging = true;
      void this.exchange(self, watched).finally(() => (this.exchanging = false));
    }
    if (!watched) {
      // Nobody watches: forget the last read, so a dashboard that opens later never sees hours-old heartbeats
      // (all "down") for the one tick before the first fresh read.
      this.beats = new Map();
      return;
    }
    const redisOk = this.o.redis.status === 'ready' && now - this.lastRedisOk <= this.downAfterMs;
    const snapshot = buildSnapshot({
      now,
      intervalMs: this.o.intervalMs,
      downAfterMs: this.downAfterMs,
      self,
      others: this.beats,
      redis: redisOk,
      postgres: this.storeState(now),
      sales: this.o.sales(),
      queues: this.o.queues?.() ?? [],
    });
    this.o.push(JSON.stringify(snapshot));
  }

  private storeState(now: number): StoreState {
    if (this.probe === null) return 'none';
    const ok = this.probe.probe(now);
    return ok === null ? 'unknown' : ok ? 'up' : 'down';
  }

  /** Write our heartbeat; read everyone's when watched; forget nodes gone for DASHBOARD_KEEP_MS. */
  private async exchange(self: NodeBeat, watched: boolean): Promise<void> {
    try {
      await writeBeat(this.o.redis, self.id, JSON.stringify(self));
      this.lastRedisOk = Date.now();
      if (!watched) return;
      const beats = await readBeats(this.o.redis);
      this.lastRedisOk = Date.now();
      const gone = [...beats].filter(([, b]) => typeof b['at'] !== 'number' || self.at - b['at'] > DASHBOARD_KEEP_MS).map(([id]) => id);
      for (const id of gone) beats.delete(id);
      this.beats = beats;
      await dropBeats(this.o.redis, gone);
    } catch (err) {
      this.o.onError(err);
    }
  }
}
