// Reads the one JSON line bench/wrk/report.lua prints in wrk's done() (pure: unit-tested).
import type { AnswerCounts, LoadResult } from './load-result.js';

interface WrkJson {
  durationUs: number;
  requests: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { p50: number; p99: number; p999: number; max: number; mean: number };
  counts: Record<string, number>;
  purchaseSpanUs?: number;
}

const CLASS_NAMES: (keyof AnswerCounts)[] = ['ok', 'soldOut', 'limit', 'other', 'http4xx', 'http429', 'http5xx'];
const OWN = new Set<string>(['sent', 'answered', ...CLASS_NAMES]);

/** The BENCH-JSON line of a wrk run's stdout. Throws naming what is missing. */
export function parseWrkJson(stdout: string): WrkJson {
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH-JSON '));
  if (line === undefined) throw new Error(`wrk printed no BENCH-JSON line (did the script's done() run?):\n${stdout.slice(-2000)}`);
  const json = JSON.parse(line.slice('BENCH-JSON '.length)) as WrkJson;
  for (const field of ['durationUs', 'requests', 'errors', 'latencyUs', 'counts'] as const) {
    if (json[field] === undefined) throw new Error(`wrk's BENCH-JSON has no ${field}: ${line}`);
  }
  return json;
}

/**
 * A LoadResult from wrk's JSON. `budgeted`: the run sent a fixed number of purchases and was interrupted when
 * they were answered, so it is timed by the purchases' own span, not by -d.
 */
export function wrkLoadResult(json: WrkJson, command: string, budgeted: boolean): LoadResult {
  const n = (name: string) => json.counts[name] ?? 0;
  const counts = Object.fromEntries(CLASS_NAMES.map((name) => [name, n(name)])) as unknown as AnswerCounts;
  const extra = Object.fromEntries(Object.entries(json.counts).filter(([name]) => !OWN.has(name)));
  const e = json.errors;
  const span = json.purchaseSpanUs ?? 0;
  return {
    tool: 'wrk',
    command,
    seconds: (budgeted && span > 0 ? span : json.durationUs) / 1e6,
    sent: n('sent'),
    answered: n('answered'),
    counts,
    socketErrors: e.connect + e.read + e.write + e.timeout,
    non2xx: counts.http4xx + counts.http429 + counts.http5xx,
    latencyMs: { p50: json.latencyUs.p50 / 1000, p99: json.latencyUs.p99 / 1000, p999: json.latencyUs.p999 / 1000, max: json.latencyUs.max / 1000 },
    extra,
  };
}
