import type { Registry } from 'prom-client';
import { registerFromBuffer, registerGauge, type MetricValue } from './registry.js';

/** Seconds from joining to one's turn, counted when a pass buys (src/sale/queue-board.ts keeps the counts). */
export const QUEUE_WAIT_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1800, 3600] as const;

/** One waiting room as this node knows it (src/node/main/queue-keeper.ts). */
export interface QueueMetricRow {
  sale: string;
  on: boolean;
  /** Places given: everyone who joined. */
  line: number;
  /** The serving position: places admitted or skipped. */
  served: number;
  admitted: number;
  /** Places skipped because nobody polled them (abandoned). */
  skipped: number;
  /** Places admitted per second lately. */
  admittedPerSecond: number;
  /** The rate admission goes at now (the fixed one, or 'auto's bound). */
  rate: number;
  /** This node's: passes that bought, expired passes refused, and the waits of those that bought by bucket. */
  passesUsed: number;
  passesExpired: number;
  waits: number[];
}

/** The waiting rooms' metrics, read when scraped (no work per poll beyond the board's counters). */
export function registerQueueMetrics(registry: Registry, rows: () => QueueMetricRow[]): void {
  const gauge = (name: string, help: string, pick: (r: QueueMetricRow) => number) =>
    registerGauge(registry, name, help, () => rows().map((r) => ({ labels: { sale: r.sale }, value: pick(r) })));
  gauge('ticket_spike_queue_line', 'Places given in the waiting room (everyone who joined), per sale', (r) => r.line);
  gauge('ticket_spike_queue_served', 'The serving position: places admitted or skipped, per sale', (r) => r.served);
  gauge('ticket_spike_queue_admitted', 'Places admitted (their buyer was polling), per sale', (r) => r.admitted);
  gauge('ticket_spike_queue_abandoned', 'Places skipped because nobody polled them, per sale', (r) => r.skipped);
  gauge('ticket_spike_queue_admitted_per_second', 'Places admitted per second lately, per sale', (r) => r.admittedPerSecond);
  gauge('ticket_spike_queue_rate', 'The admission rate in force (fixed or auto), places per second, per sale', (r) => r.rate);
  const counter = (name: string, help: string, pick: (r: QueueMetricRow) => number) =>
    registerFromBuffer(registry, name, help, 'counter', () => rows().map((r) => ({ labels: { sale: r.sale }, value: pick(r) })));
  counter('ticket_spike_queue_passes_used_total', 'Purchase passes that bought an order on this node, per sale', (r) => r.passesUsed);
  counter('ticket_spike_queue_passes_expired_total', 'Purchases refused on this node for an expired pass, per sale', (r) => r.passesExpired);
  registerFromBuffer(registry, 'ticket_spike_queue_wait_seconds', 'From joining to one\'s turn, for passes that bought on this node', 'histogram', () =>
    rows().flatMap((r) => {
      const values: MetricValue[] = [];
      let cumulative = 0;
      QUEUE_WAIT_BUCKETS.forEach((le, i) => {
        cumulative += r.waits[i] ?? 0;
        values.push({ labels: { sale: r.sale, le }, value: cumulative, metricName: 'ticket_spike_queue_wait_seconds_bucket' });
      });
      cumulative += r.waits[QUEUE_WAIT_BUCKETS.length] ?? 0;
      values.push({ labels: { sale: r.sale, le: '+Inf' }, value: cumulative, metricName: 'ticket_spike_queue_wait_seconds_bucket' });
      values.push({ labels: { sale: r.sale }, value: cumulative, metricName: 'ticket_spike_queue_wait_seconds_count' });
      return values;
    }),
  );
}

/** The p-quantile (0..1) of a bucketed wait, as the upper bound of its bucket; null without any count. */
export function waitQuantile(waits: readonly number[], q: number): number | null {
  const total = waits.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < waits.length; i++) {
    seen += waits[i];
    if (seen >= q * total) return i < QUEUE_WAIT_BUCKETS.length ? QUEUE_WAIT_BUCKETS[i] : Infinity;
  }
  return null;
}
