// One measured load, whichever tool made it: what the report and the judges read.

/** Answers sorted as bench/wrk/report.lua sorts them (by HTTP status first, then by the business code). */
export interface AnswerCounts {
  ok: number;
  soldOut: number;
  limit: number;
  other: number;
  http4xx: number;
  http429: number;
  http5xx: number;
}

export interface LatencyMs {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  tool: 'wrk' | 'ab';
  command: string;
  /** The measured time: wrk's -d, the purchases' own span for a budgeted run, ab's "Time taken". */
  seconds: number;
  /** Purchases sent (each a buyer, or ab's one URL). */
  sent: number;
  /** Purchases answered (any status). */
  answered: number;
  /** Answers by kind; null when the tool cannot see bodies (ab: only 2xx vs not). */
  counts: AnswerCounts | null;
  /** Connections that failed, reads/writes that failed, timeouts (wrk), or ab's failed requests. */
  socketErrors: number;
  /** Answers that were not 2xx (ab) or 5xx (wrk). */
  non2xx: number;
  latencyMs: LatencyMs;
  /** Script-specific counters (the mixed crowd's pays, cancels, replays ...). */
  extra: Record<string, number>;
}

/** Answered purchases a second. */
export function answeredPerSecond(r: LoadResult): number {
  return r.seconds > 0 ? r.answered / r.seconds : 0;
}

/** Purchases that may have bought without the buyer hearing so: no answer, or a 5xx (outcome unknown). */
export function undecided(r: LoadResult): number {
  if (r.counts === null) return r.sent - r.answered + r.non2xx;
  return r.sent - r.answered + r.counts.http5xx;
}

/**
 * Two loads on one sale, for its audit: every count summed; the time and latency are the second (measured)
 * load's.
 */
export function combined(first: LoadResult, measured: LoadResult): LoadResult {
  const counts =
    first.counts === null || measured.counts === null
      ? null
      : (Object.fromEntries(
          (Object.keys(measured.counts) as (keyof AnswerCounts)[]).map((k) => [k, first.counts![k] + measured.counts![k]]),
        ) as unknown as AnswerCounts);
  return {
    ...measured,
    sent: first.sent + measured.sent,
    answered: first.answered + measured.answered,
    counts,
    socketErrors: first.socketErrors + measured.socketErrors,
    non2xx: first.non2xx + measured.non2xx,
  };
}
