import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import {
  BUCKET_BASE,
  LATENCY_BUCKETS,
  LAT_COUNT,
  LAT_SUM,
  OUTCOMES,
  OUTCOME_BASE,
  STATUSES,
  STATUS_BASE,
  readTotals,
} from './layout.js';

/** What the main thread knows about one sale when /metrics is scraped. */
export interface SaleGaugeRow {
  sale: string;
  held: number;
  paid: number;
  remaining: number;
  localQuota: number;
}

/** How far the order workers are behind on one sale (src/redis/order-stream.ts orderLag). */
export interface OrderLagRow {
  sale: string;
  /** Stream entries read by a worker, not yet acknowledged. */
  pending: number;
  /** Entries no worker has read yet; null when Redis cannot tell (the gauge is then left out). */
  unread: number | null;
  oldestAgeSeconds: number;
}

/**
 * The node's Prometheus registry, owned by the main thread. Counters and the latency histogram are read
 * from the threads' shared counters at scrape time (custom metric objects: prom-client calls `get()`), so
 * the hot path never posts a message per request.
 */
export function createMetricsRegistry(
  nodeId: string,
  buffer: SharedArrayBuffer,
  threads: number,
  sales: () => SaleGaugeRow[],
  orderLag: () => OrderLagRow[] = () => [],
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  collectDefaultMetrics({ register: registry, prefix: 'ticket_spike_process_' });

  registerFromBuffer(registry, 'ticket_spike_purchases_total', 'Purchase requests answered, by outcome', 'counter', () => {
    const totals = readTotals(buffer, threads);
    return OUTCOMES.map((outcome, i) => ({ labels: { outcome }, value: totals[OUTCOME_BASE + i] }));
  });
  registerFromBuffer(registry, 'ticket_spike_http_responses_total', 'HTTP responses sent, by status (0 = other)', 'counter', () => {
    const totals = readTotals(buffer, threads);
    return STATUSES.map((status, i) => ({ labels: { status: String(status) }, value: totals[STATUS_BASE + i] }));
  });
  registerFromBuffer(registry, 'ticket_spike_request_seconds', 'Time from request to answer, seconds', 'histogram', () => {
    const totals = readTotals(buffer, threads);
    const values: MetricValue[] = [];
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cumulative += totals[BUCKET_BASE + i];
      values.push({ labels: { le }, value: cumulative, metricName: 'ticket_spike_request_seconds_bucket' });
    });
    cumulative += totals[BUCKET_BASE + LATENCY_BUCKETS.length];
    values.push({ labels: { le: '+Inf' }, value: cumulative, metricName: 'ticket_spike_request_seconds_bucket' });
    values.push({ labels: {}, value: totals[LAT_SUM], metricName: 'ticket_spike_request_seconds_sum' });
    values.push({ labels: {}, value: totals[LAT_COUNT], metricName: 'ticket_spike_request_seconds_count' });
    return values;
  });
  // One collect fills all four per-sale gauges right before the scrape reads them: it is registered before
  // them because prom-client reads metrics in registration order. reset() first so gone sales disappear.
  new Gauge({
    name: 'ticket_spike_sales_known',
    help: 'Sales this node knows',
    registers: [registry],
    collect() {
      const rows = sales();
      for (const gauge of [remaining, held, paid, localQuota]) gauge.reset();
      for (const row of rows) {
        held.set({ sale: row.sale }, row.held);
        paid.set({ sale: row.sale }, row.paid);
        remaining.set({ sale: row.sale }, row.remaining);
        localQuota.set({ sale: row.sale }, row.localQuota);
      }
      this.set(rows.length);
    },
  });
  const remaining = new Gauge({ name: 'ticket_spike_sale_remaining', help: 'Units left per sale, as last read from Redis', labelNames: ['sale'], registers: [registry] });
  const held = new Gauge({ name: 'ticket_spike_sale_held', help: 'Units held (unpaid) per sale, as last read from Redis', labelNames: ['sale'], registers: [registry] });
  const paid = new Gauge({ name: 'ticket_spike_sale_paid', help: 'Units paid per sale, as last read from Redis', labelNames: ['sale'], registers: [registry] });
  const localQuota = new Gauge({ name: 'ticket_spike_sale_local_quota', help: 'Units this node may still take from its quota without asking Redis', labelNames: ['sale'], registers: [registry] });
  const lagRows = (pick: (row: OrderLagRow) => number | null) => () =>
    orderLag().flatMap((row) => {
      const value = pick(row);
      return value === null ? [] : [{ labels: { sale: row.sale }, value }];
    });
  registerGauge(registry, 'ticket_spike_orders_pending', 'Order stream entries a worker read but has not acknowledged (committed to PostgreSQL), per sale', lagRows((r) => r.pending));
  registerGauge(registry, 'ticket_spike_orders_unread', 'Order stream entries no order worker has read yet, per sale', lagRows((r) => r.unread));
  registerGauge(
    registry,
    'ticket_spike_orders_oldest_age_seconds',
    'Age of the oldest order stream entry not yet acknowledged or read, per sale (0 when caught up)',
    lagRows((r) => r.oldestAgeSeconds),
  );
  return registry;
}

/** A gauge whose values are read when scraped (sales without a value are left out, not shown as 0). */
export function registerGauge(registry: Registry, name: string, help: string, values: () => MetricValue[]): void {
  const describe = { name, help, type: 'gauge' as const, aggregator: 'omit' as const };
  registry.registerMetric({ ...describe, get: () => ({ ...describe, values: values() }) } as never);
}

export interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * A metric whose values are read from the threads' shared counters when scraped: prom-client accepts any
 * object with `get()` returning name, help, type and values (its own Counter/Histogram cannot be set from
 * outside counts).
 */
export function registerFromBuffer(
  registry: Registry,
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  values: () => MetricValue[],
): void {
  const describe = { name, help, type, aggregator: 'sum' as const };
  registry.registerMetric({ ...describe, get: () => ({ ...describe, values: values() }) } as never);
}
