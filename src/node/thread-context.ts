import { parentPort } from 'node:worker_threads';
import type { Redis, Cluster } from 'ioredis';
import { StockCounters } from 'native-free-shm';
import type { NodeConfig } from '../config/node-config.js';
import { ThreadCounters } from '../metrics/layout.js';
import type { Logger } from '../log/logger.js';
import type { StatLog } from '../log/stat-log.js';
import type { ReservationBatcher } from '../redis/batcher.js';
import type { TrackingEngine } from './tracking-engine.js';
import { InFlight } from './inflight.js';
import type { MainToThread, SaleInfo, ThreadData, ThreadToMain } from './messages.js';

type LookupWaiter = (sale: SaleInfo | null, error?: string) => void;

/**
 * Everything one uWS thread shares between its routes: its slice of the node (thread index = stock
 * partition), the shared buffers, its own Redis connection, engine and batcher, and the sale map the main
 * thread keeps up to date by message.
 */
export class ThreadContext {
  readonly index: number;
  readonly config: NodeConfig;
  readonly stock: StockCounters;
  readonly inFlight: InFlight;
  readonly counters: ThreadCounters;
  readonly sales = new Map<string, SaleInfo>();
  /** Idempotency keys with a purchase in flight on this thread (409 for a second one). */
  readonly keysInFlight = new Set<string>();
  /** Asynchronous requests not yet answered (purchases, order calls); shutdown waits for 0. */
  pendingRequests = 0;
  draining = false;
  private readonly lookups = new Map<string, LookupWaiter[]>();
  private readonly metricsWaiters = new Map<number, (text: string, contentType: string) => void>();
  private nextMetricsId = 1;
  private idleWaiters: Array<() => void> = [];

  constructor(
    data: ThreadData,
    readonly redis: Redis | Cluster,
    readonly engine: TrackingEngine,
    readonly batcher: ReservationBatcher,
    readonly log: Logger,
    readonly statLog: StatLog | null,
  ) {
    this.index = data.index;
    this.config = data.config;
    this.stock = StockCounters.attach(data.stockBuffer);
    this.inFlight = new InFlight(data.inFlightBuffer);
    this.counters = new ThreadCounters(data.metricsBuffer, data.index);
    for (const sale of data.sales) this.sales.set(sale.id, sale);
  }

  post(message: ThreadToMain): void {
    parentPort?.postMessage(message);
  }

  /** Messages from the main thread. */
  onMessage(message: MainToThread): void {
    switch (message.type) {
      case 'sale':
        this.sales.set(message.sale.id, message.sale);
        this.resolveLookup(message.sale.id, message.sale);
        break;
      case 'lookup-reply':
        if (message.sale !== null) this.sales.set(message.sale.id, message.sale);
        this.resolveLookup(message.id, message.sale, message.error);
        break;
      case 'metrics-reply': {
        const waiter = this.metricsWaiters.get(message.reqId);
        this.metricsWaiters.delete(message.reqId);
        waiter?.(message.text, message.contentType);
        break;
      }
      case 'stop':
        // handled by http-thread.ts
        break;
    }
  }

  /**
   * Finds a sale: synchronously when known, else asks the main thread (which reads Redis, or answers from
   * its short miss cache). Concurrent requests for one unknown id share one question. Bounded: no answer
   * within 2 s counts as Redis unavailable.
   */
  findSale(id: string, done: LookupWaiter): void {
    const known = this.sales.get(id);
    if (known !== undefined) {
      done(known);
      return;
    }
    let waiters = this.lookups.get(id);
    if (waiters === undefined) {
      waiters = [];
      this.lookups.set(id, waiters);
      this.post({ type: 'lookup', id });
      const timer = setTimeout(() => this.resolveLookup(id, null, 'the main thread did not answer in time'), 2000);
      timer.unref();
    }
    waiters.push(done);
  }

  private resolveLookup(id: string, sale: SaleInfo | null, error?: string): void {
    const waiters = this.lookups.get(id);
    if (waiters === undefined) return;
    this.lookups.delete(id);
    for (const waiter of waiters) waiter(sale, error);
  }

  /** Asks the main thread for the Prometheus text (it owns the registry). */
  metrics(done: (text: string, contentType: string) => void): void {
    const reqId = this.nextMetricsId++;
    this.metricsWaiters.set(reqId, done);
    this.post({ type: 'metrics', reqId });
    const timer = setTimeout(() => {
      const waiter = this.metricsWaiters.get(reqId);
      this.metricsWaiters.delete(reqId);
      waiter?.('', '');
    }, 2000);
    timer.unref();
  }

  /** Wraps an asynchronous request so shutdown can wait for its answer. */
  begin(): void {
    this.pendingRequests++;
  }

  end(): void {
    this.pendingRequests--;
    if (this.pendingRequests === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  whenIdle(): Promise<void> {
    if (this.pendingRequests === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
