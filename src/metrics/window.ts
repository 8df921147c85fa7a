import { BUCKET_BASE, LATENCY_BUCKETS, LAT_COUNT, OUTCOMES, OUTCOME_BASE, STATUSES, STATUS_BASE, readTotals } from './layout.js';

/** One node's traffic over the last couple of seconds, as the live dashboard shows it (per second, ms). */
export interface NodeRates {
  requestsPerSec: number;
  /** Successful new purchases a second (replays not counted). */
  purchasesPerSec: number;
  soldOutPerSec: number;
  /** HTTP 429 and 503 answers a second (the node's own: nginx's per-address 429s never reach a node). */
  tooManyPerSec: number;
  unavailablePerSec: number;
  /** Request latency percentiles over the window, from the histogram buckets; null when nothing was answered. */
  p50Ms: number | null;
  p99Ms: number | null;
}

const SUCCESS = OUTCOME_BASE + OUTCOMES.indexOf('success');
const SOLD_OUT = OUTCOME_BASE + OUTCOMES.indexOf('sold_out');
const S429 = STATUS_BASE + STATUSES.indexOf(429);
const S503 = STATUS_BASE + STATUSES.indexOf(503);

/**
 * Rates and percentiles from the threads' shared counters (layout.ts), without touching the hot path: the
 * main thread samples the totals once per tick and keeps the last `keep` samples; rates are the difference
 * between the newest and the oldest sample over the time between them.
 */
export class RateWindow {
  private readonly samples: Array<{ at: number; totals: Float64Array }> = [];

  constructor(
    private readonly buffer: SharedArrayBuffer,
    private readonly threads: number,
    /** Samples kept: the window is (keep - 1) ticks long. */
    private readonly keep = 5,
  ) {}

  sample(nowMs: number): NodeRates {
    this.samples.push({ at: nowMs, totals: readTotals(this.buffer, this.threads) });
    if (this.samples.length > this.keep) this.samples.shift();
    return ratesBetween(this.samples[0], this.samples[this.samples.length - 1]);
  }
}

export function ratesBetween(from: { at: number; totals: Float64Array }, to: { at: number; totals: Float64Array }): NodeRates {
  const seconds = (to.at - from.at) / 1000;
  const delta = (i: number) => to.totals[i] - from.totals[i];
  const rate = (i: number) => (seconds > 0 ? round(delta(i) / seconds) : 0);
  const buckets = Array.from({ length: LATENCY_BUCKETS.length + 1 }, (_, i) => delta(BUCKET_BASE + i));
  return {
    requestsPerSec: rate(LAT_COUNT),
    purchasesPerSec: rate(SUCCESS),
    soldOutPerSec: rate(SOLD_OUT),
    tooManyPerSec: rate(S429),
    unavailablePerSec: rate(S503),
    p50Ms: quantileMs(buckets, 0.5),
    p99Ms: quantileMs(buckets, 0.99),
  };
}

/**
 * The q-quantile of non-cumulative bucket counts (LATENCY_BUCKETS, +Inf last) in ms, interpolated linearly
 * inside its bucket as Prometheus' histogram_quantile does; the +Inf bucket answers the highest bound.
 */
export function quantileMs(buckets: number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i];
    if (seen + count >= rank && count > 0) {
      if (i === LATENCY_BUCKETS.length) return LATENCY_BUCKETS[i - 1] * 1000;
      const lower = i === 0 ? 0 : LATENCY_BUCKETS[i - 1];
      const upper = LATENCY_BUCKETS[i];
      return round((lower + ((upper - lower) * (rank - seen)) / count) * 1000);
    }
    seen += count;
  }
  return LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1] * 1000;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
