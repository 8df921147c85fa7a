import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The order worker's polling set at one moment (src/node/worker/order-worker.ts). */
export interface WorkerSalesCount {
  /** Polled every pass. */
  active: number;
  /** Finished and drained: looked at again now and then (one call), not every pass. */
  dormant: number;
  /** Listed in ts:sales but without their keys in Redis: looked at again now and then. */
  gone: number;
}

/** What the order worker reports as it goes (kept apart from prom-client so the worker's tests can count with a fake). */
export interface WorkerCounters {
  /** One sale's step failed (the others went on). */
  saleFailed(sale: string): void;
  /** One batch of a sale reached PostgreSQL and was acknowledged. */
  carried(sale: string, entries: number, orders: number): void;
  /** The polling set after a pass. */
  sales(count: WorkerSalesCount): void;
}

export interface WorkerMetrics extends WorkerCounters {
  registry: Registry;
}

/**
 * The order worker's Prometheus registry (`orders-worker --metrics-port`). Per sale: failures and what was carried
 * (entries/orders: their rate is the catch-up rate after an outage); the polling set by state.
 */
export function createWorkerMetrics(consumer: string): WorkerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ consumer });
  collectDefaultMetrics({ register: registry, prefix: 'ticket_spike_worker_process_' });
  const failures = new Counter({
    name: 'ticket_spike_worker_sale_errors_total',
    help: "Steps of one sale that failed (Redis or PostgreSQL error, a lost group); the other sales went on",
    labelNames: ['sale'],
    registers: [registry],
  });
  const entries = new Counter({ name: 'ticket_spike_worker_entries_total', help: 'Order stream entries committed to PostgreSQL and acknowledged, per sale', labelNames: ['sale'], registers: [registry] });
  const orders = new Counter({ name: 'ticket_spike_worker_orders_total', help: 'Order rows written (upserted) to PostgreSQL, per sale', labelNames: ['sale'], registers: [registry] });
  const polled = new Gauge({ name: 'ticket_spike_worker_sales', help: 'Sales in the polling set, by state (active: every pass; dormant, gone: now and then)', labelNames: ['state'], registers: [registry] });
  return {
    registry,
    saleFailed: (sale) => failures.inc({ sale }),
    carried: (sale, e, o) => {
      entries.inc({ sale }, e);
      orders.inc({ sale }, o);
    },
    sales: (count) => {
      polled.set({ state: 'active' }, count.active);
      polled.set({ state: 'dormant' }, count.dormant);
      polled.set({ state: 'gone' }, count.gone);
    },
  };
}
