import type { NodeRates } from '../../metrics/window.js';
import { saleState } from '../../sale/schedule.js';
import { segmentLoad } from '../../sale/seat-map.js';
import type { SaleFacts } from '../../sale/types.js';
import { waitQuantile, type QueueMetricRow } from '../../metrics/queue-metrics.js';

/** What a node says about itself every tick (its heartbeat in Redis, src/redis/node-beats.ts). */
export interface NodeBeat extends NodeRates {
  id: string;
  /** When it was written, ms since the epoch by the writer's clock. */
  at: number;
  threads: number;
  weight: number;
  /** Dashboards connected to this node now, and how many it dropped for not reading (since start). */
  dashboards: number;
  dashboardsDropped: number;
}

export interface NodeRow extends NodeBeat {
  /** null: unknown (this node cannot read Redis, so it cannot tell). */
  alive: boolean | null;
  ageMs: number;
  /** This node's part of all live nodes' requests over the window, 0..1. */
  share: number;
}

export type StoreState = 'up' | 'down' | 'unknown' | 'none';

/** The sale's state (src/sale/schedule.ts), with 'sold out' for an open sale that has nothing left. */
export type SaleRowState = 'scheduled' | 'open' | 'sold out' | 'paused' | 'closed';

export interface SaleRow {
  id: string;
  total: number;
  held: number;
  paid: number;
  remaining: number;
  sold: number;
  /** Tickets a gate admitted (POST /tickets/check-in). */
  checkedIn: number;
  state: SaleRowState;
  /** A train sale: its stations and, per class, its seats and how many of them are taken on each segment. */
  train?: { stations: string[]; classes: Array<{ name: string; seats: number; taken: number[] }> };
  /** A sale with a waiting room: its line as this node keeps it (passes and waits: this node's), null without one. */
  queue: QueueRow | null;
}

export interface QueueRow {
  on: boolean;
  admitPerSecond: number | 'auto';
  line: number;
  served: number;
  admittedPerSecond: number;
  skipped: number;
  passesUsed: number;
  /** This node's purchases refused for an expired pass. */
  passesExpired: number;
  waitP50: number | null;
  waitP99: number | null;
}

/** The one JSON message every dashboard of a node gets each tick (`/ws/sales`). */
export interface DashboardSnapshot {
  type: 'snapshot';
  at: number;
  servedBy: string;
  intervalMs: number;
  redis: boolean;
  /** As this node sees it: 'none' = no database configured, 'unknown' = the first probe has not answered. */
  postgres: StoreState;
  totals: Omit<NodeRates, 'p50Ms' | 'p99Ms'>;
  sales: SaleRow[];
  nodes: NodeRow[];
}

export interface SnapshotInput {
  now: number;
  intervalMs: number;
  /** A heartbeat older than this is a node down. */
  downAfterMs: number;
  self: NodeBeat;
  /** Every node's heartbeat as last read from Redis (this node's own included or not). */
  others: Map<string, Record<string, unknown>>;
  redis: boolean;
  postgres: StoreState;
  sales: SaleFacts[];
  queues: QueueMetricRow[];
}

/** Judged again at `now` from the facts' window and pause flag, so an edge passed since the last read shows at once. */
export function rowState(facts: SaleFacts, now: number): SaleRowState {
  const state = saleState(facts, facts.paused, now);
  return state === 'open' && facts.remaining <= 0 ? 'sold out' : state;
}

export function buildSnapshot(input: SnapshotInput): DashboardSnapshot {
  const { now, self } = input;
  const rows: NodeRow[] = [{ ...self, alive: true, ageMs: 0, share: 0 }];
  for (const [id, raw] of input.others) {
    if (id === self.id) continue;
    const beat = beatOf(id, raw);
    const ageMs = Math.max(0, now - beat.at);
    rows.push({ ...beat, alive: input.redis ? ageMs <= input.downAfterMs : null, ageMs, share: 0 });
  }
  rows.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  const live = rows.filter((r) => r.alive !== false);
  const sum = (pick: (r: NodeRow) => number) => Math.round(live.reduce((a, r) => a + pick(r), 0) * 100) / 100;
  const totals = {
    requestsPerSec: sum((r) => r.requestsPerSec),
    purchasesPerSec: sum((r) => r.purchasesPerSec),
    soldOutPerSec: sum((r) => r.soldOutPerSec),
    tooManyPerSec: sum((r) => r.tooManyPerSec),
    unavailablePerSec: sum((r) => r.unavailablePerSec),
  };
  for (const row of live) row.share = totals.requestsPerSec > 0 ? Math.round((row.requestsPerSec / totals.requestsPerSec) * 1000) / 1000 : 0;
  const sales = input.sales
    .map((f) => withTrain({ id: f.id, total: f.total, held: f.held, paid: f.paid, remaining: f.remaining, sold: f.held + f.paid, checkedIn: f.checkedIn, state: rowState(f, now), queue: queueRow(f, input.queues) }, f))
    .sort((a, b) => a.id.localeCompare(b.id));
  return {
    type: 'snapshot',
    at: now,
    servedBy: self.id,
    intervalMs: input.intervalMs,
    redis: input.redis,
    postgres: input.postgres,
    totals,
    sales,
    nodes: rows,
  };
}

/** The waiting room's row: its switch and rate as the operator set it (the facts), the line as the keeper last saw it. */
function queueRow(facts: SaleFacts, queues: readonly QueueMetricRow[]): QueueRow | null {
  if (facts.queue === undefined) return null;
  const q = queues.find((r) => r.sale === facts.id);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    on: facts.queue.on,
    admitPerSecond: facts.queue.admitPerSecond,
    line: q?.line ?? 0,
    served: q?.served ?? 0,
    admittedPerSecond: round(q?.admittedPerSecond ?? 0),
    skipped: q?.skipped ?? 0,
    passesUsed: q?.passesUsed ?? 0,
    passesExpired: q?.passesExpired ?? 0,
    waitP50: q === undefined ? null : waitQuantile(q.waits, 0.5),
    waitP99: q === undefined ? null : waitQuantile(q.waits, 0.99),
  };
}

/** A train's row carries its segment load per class, from the seat book its status read brought (no Redis call). */
function withTrain(row: SaleRow, facts: SaleFacts): SaleRow {
  if (facts.train === undefined || facts.board === undefined) return row;
  const segments = facts.train.stations.length - 1;
  const seats = new Map<string, number>();
  for (const c of facts.train.coaches) seats.set(c.class, (seats.get(c.class) ?? 0) + c.seats);
  const classes = [...seats].map(([name, n]) => ({ name, seats: n, taken: segmentLoad(facts.board!.classes[name] ?? [], segments, n) }));
  return { ...row, train: { stations: facts.train.stations, classes } };
}

/** A heartbeat read from Redis, every field checked (a missing or odd one reads as 0 / null). */
function beatOf(id: string, raw: Record<string, unknown>): NodeBeat {
  const num = (key: string) => (typeof raw[key] === 'number' && Number.isFinite(raw[key]) ? (raw[key]) : 0);
  const ms = (key: string) => (typeof raw[key] === 'number' && Number.isFinite(raw[key]) ? (raw[key]) : null);
  return {
    id,
    at: num('at'),
    threads: num('threads'),
    weight: num('weight'),
    dashboards: num('dashboards'),
    dashboardsDropped: num('dashboardsDropped'),
    requestsPerSec: num('requestsPerSec'),
    purchasesPerSec: num('purchasesPerSec'),
    soldOutPerSec: num('soldOutPerSec'),
    tooManyPerSec: num('tooManyPerSec'),
    unavailablePerSec: num('unavailablePerSec'),
    p50Ms: ms('p50Ms'),
    p99Ms: ms('p99Ms'),
  };
}
