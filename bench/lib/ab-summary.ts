// Reads ab's text summary and its -g file (one line per request) into a LoadResult; the percentiles come from
// an HdrHistogram of the per-request times (ab's own table stops at p99 and has no p99.9). Pure: unit-tested.
import * as hdr from 'hdr-histogram-js';
import type { LoadResult } from './load-result.js';

export interface AbText {
  complete: number;
  failed: number;
  non2xx: number;
  seconds: number;
}

/**
 * ab's "Failed requests" counts answers whose length differs from the first one's as failures too; a sold-out
 * answer is shorter than a success, so only connect, receive and exception failures count here.
 */
function abFailures(text: string): number {
  const total = /^Failed requests:\s+(\d+)/m.exec(text);
  if (total === null) throw new Error(`ab's output has no "Failed requests":\n${text.slice(-2000)}`);
  const m = /\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)/.exec(text);
  return m === null ? Number(total[1]) : Number(m[1]) + Number(m[2]) + Number(m[4]);
}

export function parseAbText(text: string): AbText {
  const num = (re: RegExp, what: string, optional = false): number => {
    const m = re.exec(text);
    if (m === null) {
      if (optional) return 0;
      throw new Error(`ab's output has no ${what}:\n${text.slice(-2000)}`);
    }
    return Number(m[1]);
  };
  return {
    complete: num(/^Complete requests:\s+(\d+)/m, '"Complete requests"'),
    failed: abFailures(text),
    // Only printed when there were some.
    non2xx: num(/^Non-2xx responses:\s+(\d+)/m, '"Non-2xx responses"', true),
    seconds: num(/^Time taken for tests:\s+([\d.]+) seconds/m, '"Time taken for tests"'),
  };
}

/** Total times (ttime, ms) of every request in an `ab -g` file (tab-separated, a header line first). */
export function parseAbGnuplot(text: string): number[] {
  const lines = text.split('\n');
  const header = lines[0]?.split('\t') ?? [];
  const col = header.indexOf('ttime');
  if (col < 0) throw new Error(`not an ab -g file (no ttime column): ${lines[0]}`);
  const times: number[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const value = Number(line.split('\t')[col]);
    if (Number.isFinite(value)) times.push(value);
  }
  return times;
}

/** p50/p99/p99.9/max in ms from per-request times in ms (ab's resolution: whole ms). */
export function percentilesMs(timesMs: number[]): LoadResult['latencyMs'] {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  try {
    for (const t of timesMs) h.recordValue(Math.max(1, Math.round(t * 1000))); // µs
    const at = (p: number) => (timesMs.length === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
    return { p50: at(50), p99: at(99), p999: at(99.9), max: timesMs.length === 0 ? 0 : h.maxValue / 1000 };
  } finally {
    h.destroy();
  }
}

export function abLoadResult(text: AbText, timesMs: number[], command: string, sent: number): LoadResult {
  return {
    tool: 'ab',
    command,
    seconds: text.seconds,
    sent,
    answered: text.complete,
    counts: null,
    socketErrors: text.failed,
    non2xx: text.non2xx,
    latencyMs: percentilesMs(timesMs),
    extra: {},
  };
}
