// The report of a run, built from its measurements: one row per scenario and system, each with its ratio to
// hello and to typical of the same scenario (same invocation, same machine), and issue 12's targets. Pure.
import { answeredPerSecond } from './load-result.js';
import type { Measurement } from './measure.js';

export interface Row {
  scenario: string;
  system: string;
  layout: string;
  command: string;
  seconds: number;
  sent: number;
  answered: number;
  answeredPerSec: number;
  /** Tickets sold per the system's Redis, per second of the run (hello: 0). */
  committedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Socket errors + non-2xx answers (a 429/409 of the mixed crowd is an answer, not an error). */
  errors: number;
  sold: number;
  stock: number;
  ratioToHello: number | null;
  ratioToTypical: number | null;
  audit: 'ok' | 'FAILED' | 'n/a';
  problems: string[];
  counts: Record<string, number>;
  books: Record<string, number | boolean | string>;
}

export interface Target {
  what: string;
  want: string;
  got: string;
  met: boolean | null;
}

export interface Report {
  when: string;
  command: string;
  machine: { cpus: number; model: string; loadAverage: number[] };
  settings: Record<string, unknown>;
  rows: Row[];
  targets: Target[];
  auditsPassed: boolean;
  seconds: number;
}

const round = (n: number, digits = 0) => Number(n.toFixed(digits));

/** a / b, or null when either side is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || b === 0) return null;
  return round(a / b, 3);
}

export function buildRows(measurements: Measurement[]): Row[] {
  const rows = measurements.map((m): Row => {
    const l = m.load;
    const errors = l.socketErrors + (l.counts === null ? l.non2xx : l.counts.http5xx + l.counts.http4xx + (m.plan.judge === 'mixed' ? 0 : l.counts.http429));
    return {
      scenario: m.plan.scenario,
      system: m.plan.system,
      layout: m.layout,
      command: l.command,
      seconds: round(l.seconds, 2),
      sent: l.sent,
      answered: l.answered,
      answeredPerSec: round(answeredPerSecond(l)),
      committedPerSec: l.seconds > 0 ? round(m.books.sold / l.seconds) : 0,
      p50Ms: round(l.latencyMs.p50, 3),
      p99Ms: round(l.latencyMs.p99, 3),
      p999Ms: round(l.latencyMs.p999, 3),
      errors,
      sold: m.books.sold,
      stock: m.plan.sale.stock,
      ratioToHello: null,
      ratioToTypical: null,
      audit: m.plan.system === 'hello' ? 'n/a' : m.problems.length === 0 ? 'ok' : 'FAILED',
      problems: m.problems,
      counts: { ...(l.counts ?? {}), ...l.extra },
      books: m.books.detail,
    };
  });
  for (const row of rows) {
    const peer = (system: string) => rows.find((r) => r.scenario === row.scenario && r.system === system)?.answeredPerSec;
    row.ratioToHello = row.system === 'hello' ? null : ratio(row.answeredPerSec, peer('hello'));
    row.ratioToTypical = row.system === 'typical' ? null : ratio(row.answeredPerSec, peer('typical'));
  }
  return rows;
}

function find(rows: Row[], scenario: string, system: string): Row | undefined {
  return rows.find((r) => r.scenario === scenario && r.system === system);
}

/** Issue 12's targets on this machine, each judged from rows of one run (null: that run was not made). */
export function buildTargets(rows: Row[]): Target[] {
  const targets: Target[] = [];
  const atLeast = (what: string, value: number | null | undefined, want: number) =>
    targets.push({ what, want: `>= ${want}x`, got: value == null ? 'not run' : `${value}x`, met: value == null ? null : value >= want });
  const atMost = (what: string, value: number | undefined, want: number) =>
    targets.push({ what, want: `<= ${want} ms`, got: value === undefined ? 'not run' : `${value} ms`, met: value === undefined ? null : value <= want });
  const ts = (scenario: string) => find(rows, scenario, 'ticket-spike');
  atLeast('sale-path: ticket-spike / typical', ts('sale-path')?.ratioToTypical, 2);
  atLeast('million: ticket-spike / hello behind the same nginx', ts('million')?.ratioToHello, 0.95);
  atLeast('million: ticket-spike / article', ratio(ts('million')?.answeredPerSec, find(rows, 'million', 'article')?.answeredPerSec), 10);
  atMost('sale-path: ticket-spike success p99 at 100 connections', ts('sale-path')?.p99Ms, 5);
  atMost('sold-out: ticket-spike p99 at 100 connections', ts('sold-out')?.p99Ms, 2);
  return targets;
}

export function buildReport(measurements: Measurement[], meta: Omit<Report, 'rows' | 'targets' | 'auditsPassed'>): Report {
  const rows = buildRows(measurements);
  return { ...meta, rows, targets: buildTargets(rows), auditsPassed: rows.every((r) => r.audit !== 'FAILED') };
}
