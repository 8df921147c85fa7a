/**
 * Where each uWS thread counts, in one SharedArrayBuffer read by the main thread's /metrics collector.
 *
 * Each thread owns a region of `REGION` Float64 slots and is its only writer; the main thread only reads.
 * Single-writer plain stores need no Atomics: the worst a reader can see is a value one request stale.
 * (Float64 because latency sums are fractional; Atomics only work on integer arrays, and a shared integer
 * counter would need an Atomics.add per request — a contended cache line for nothing.)
 *
 * Region layout (slot names as constants, piscina's symbols.ts style):
 *   [OUTCOME_BASE + i]   purchases by outcome OUTCOMES[i]
 *   [STATUS_BASE + i]    HTTP responses by status STATUSES[i] (last slot: any other status)
 *   [BUCKET_BASE + i]    request latency histogram, non-cumulative counts for LATENCY_BUCKETS[i] (+Inf last)
 *   [LAT_SUM], [LAT_COUNT]
 */
export const OUTCOMES = [
  'success',
  'replayed',
  'sold_out',
  'limit',
  'not_open',
  'mismatch',
  'unknown_sale',
  'unavailable',
  'conflict',
  'bad_request',
  'rate_limited',
] as const;
export type OutcomeName = (typeof OUTCOMES)[number];

export const STATUSES = [200, 400, 401, 404, 405, 409, 413, 415, 422, 429, 500, 503, 0] as const;
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

export const OUTCOME_BASE = 0;
export const STATUS_BASE = OUTCOME_BASE + OUTCOMES.length;
export const BUCKET_BASE = STATUS_BASE + STATUSES.length;
export const LAT_SUM = BUCKET_BASE + LATENCY_BUCKETS.length + 1;
export const LAT_COUNT = LAT_SUM + 1;
export const REGION = LAT_COUNT + 1;

export function createMetricsBuffer(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer(threads * REGION * Float64Array.BYTES_PER_ELEMENT);
}

const OUTCOME_INDEX = new Map<OutcomeName, number>(OUTCOMES.map((name, i) => [name, i]));
const STATUS_INDEX = new Map<number, number>(STATUSES.map((status, i) => [status, i]));

/** The writer side, used by one uWS thread on its own region. */
export class ThreadCounters {
  private readonly slots: Float64Array;
  constructor(buffer: SharedArrayBuffer, thread: number) {
    this.slots = new Float64Array(buffer, thread * REGION * Float64Array.BYTES_PER_ELEMENT, REGION);
  }

  outcome(name: OutcomeName): void {
    this.slots[OUTCOME_BASE + (OUTCOME_INDEX.get(name) ?? 0)] += 1;
  }

  /** One finished response: its status and how long it took in seconds. */
  response(status: number, seconds: number): void {
    const s = this.slots;
    s[STATUS_BASE + (STATUS_INDEX.get(status) ?? STATUSES.length - 1)] += 1;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    s[BUCKET_BASE + i] += 1;
    s[LAT_SUM] += seconds;
    s[LAT_COUNT] += 1;
  }
}

/** The reader side (main thread): sums over all thread regions. */
export function readTotals(buffer: SharedArrayBuffer, threads: number): Float64Array {
  const all = new Float64Array(buffer);
  const totals = new Float64Array(REGION);
  for (let t = 0; t < threads; t++) for (let i = 0; i < REGION; i++) totals[i] += all[t * REGION + i];
  return totals;
}
