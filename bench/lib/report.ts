// The report of a run, built from its measurements: one row per scenario and system — the median of its rounds,
// each ratio to hello and to typical of the same scenario taken within a round (same invocation, same machine,
// minutes apart at most) and given as the median and the spread over rounds — the servers' and Redis's CPU per
// answer and per committed purchase, how close the sale paths came to the fsync bound, and the targets. Pure.
import { cpuFigure, cpuPerItemUs } from './cpu.js';
import { fsyncBound, type FsyncBound, type FsyncTiming } from './fsync.js';
import { answeredPerSecond } from './load-result.js';
import type { Measurement } from './measure.js';
import { median, ratiosByRound, spread } from './rounds.js';

export interface CpuFigures {
  /** CPU µs of the servers (nodes, a cluster's primary and workers, the article) per answer of any kind. */
  serverCpuUsPerAnswer: number | null;
  /** CPU µs of the system's redis-server per answer; null without one (hello). */
  redisCpuUsPerAnswer: number | null;
  /**
   * Per committed purchase (sold during the measured load); null when none was, and for a sale sold out before
   * the load (sold-out: its commits came before the CPU was read).
   */
  serverCpuUsPerCommit: number | null;
  redisCpuUsPerCommit: number | null;
  /**
   * The clock ticks each share's figures rest on (a row: the fewest of any of its rounds). Under 100 (1 s at
   * CLK_TCK 100) the figures are approximate, given to 2 significant digits. null: the CPU could not be read.
   */
  cpuTicks: { server: number; redis: number | null } | null;
}

/** The load's figures, of one round (RoundFigures) or the median of the rounds (Row). */
interface LoadFigures {
  seconds: number;
  sent: number;
  answered: number;
  answeredPerSec: number;
  /** Tickets sold per the system's Redis, per second of the run (hello: 0). */
  committedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Socket errors + non-2xx answers (a 429/409 of the mixed crowd is an answer, not an error); a Row sums its rounds'. */
  errors: number;
  sold: number;
}

/** One round of one system: what a Row was before rounds. */
export interface RoundFigures extends CpuFigures, LoadFigures {
  /** 1-based, in the order the rounds ran. */
  round: number;
  /** answered/s over the same round's hello / typical. */
  ratioToHello: number | null;
  ratioToTypical: number | null;
  audit: 'ok' | 'FAILED' | 'n/a';
  problems: string[];
  books: Record<string, number | boolean | string>;
}

/** One scenario and system: the LoadFigures are medians over its rounds (errors: their sum). */
export interface Row extends CpuFigures, LoadFigures {
  scenario: string;
  system: string;
  layout: string;
  command: string;
  /** Rounds this row is the median of. */
  rounds: number;
  /** The measured load's connections (wrk -c, ab -c). */
  connections: number;
  stock: number;
  /** Median over rounds of the round's answered/s over the same round's hello's; the spread [min, max] beside it. */
  ratioToHello: number | null;
  ratioToHelloSpread: [number, number] | null;
  ratioToTypical: number | null;
  ratioToTypicalSpread: [number, number] | null;
  /** The sale paths (every purchase a commit): committed/s against what Redis's fsync allows at these connections. */
  fsyncBound: FsyncBound | null;
  /** FAILED when any round's audit failed; problems then name the round. */
  audit: 'ok' | 'FAILED' | 'n/a';
  problems: string[];
  /** Answers by kind, summed over rounds. */
  counts: Record<string, number>;
  /** The first round's books (every round's are in perRound). */
  books: Record<string, number | boolean | string>;
  perRound: RoundFigures[];
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
  /** `fsync`: the disk under Redis's AOF, timed once at the start (bench/lib/fsync.ts). */
  settings: { fsync?: FsyncTiming | null; [name: string]: unknown };
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

/** A round's CPU per answer and per commit, unrounded (the row's median is rounded after). */
interface RawCpu {
  serverPerAnswer: number | null;
  redisPerAnswer: number | null;
  serverPerCommit: number | null;
  redisPerCommit: number | null;
  serverTicks: number | null;
  redisTicks: number | null;
}

/** Purchases committed during the measured load: what Redis sold, less what a selling warm-up sold before it. */
export function committedDuringLoad(m: Measurement): number {
  return Math.max(0, m.books.sold - (m.soldBeforeLoad ?? 0));
}

function rawCpu(m: Measurement): RawCpu {
  const c = m.cpu;
  // A sale sold out before the load committed nothing during it (per-commit figures would divide by the sell-out's).
  const commits = m.plan.sellOutFirst === true ? 0 : committedDuringLoad(m);
  return {
    serverPerAnswer: cpuPerItemUs(c?.serverSeconds, m.load.answered),
    redisPerAnswer: cpuPerItemUs(c?.redisSeconds, m.load.answered),
    serverPerCommit: cpuPerItemUs(c?.serverSeconds, commits),
    redisPerCommit: cpuPerItemUs(c?.redisSeconds, commits),
    serverTicks: c === null ? null : c.serverTicks,
    redisTicks: c === null ? null : c.redisTicks,
  };
}

/** CPU figures rounded by the ticks they rest on: exact from 100 ticks, 2 significant digits below. */
function cpuFigures(raw: RawCpu): CpuFigures {
  return {
    serverCpuUsPerAnswer: cpuFigure(raw.serverPerAnswer, raw.serverTicks),
    redisCpuUsPerAnswer: cpuFigure(raw.redisPerAnswer, raw.redisTicks),
    serverCpuUsPerCommit: cpuFigure(raw.serverPerCommit, raw.serverTicks),
    redisCpuUsPerCommit: cpuFigure(raw.redisPerCommit, raw.redisTicks),
    cpuTicks: raw.serverTicks === null ? null : { server: raw.serverTicks, redis: raw.redisTicks },
  };
}

const present = (values: (number | null)[]) => values.filter((v): v is number => v !== null);

/** The rounds' CPU as one row's: each figure's median, resting on the fewest ticks any round counted. */
function medianCpu(raws: RawCpu[]): RawCpu {
  const fewest = (values: (number | null)[]) => (present(values).length === 0 ? null : Math.min(...present(values)));
  return {
    serverPerAnswer: median(present(raws.map((r) => r.serverPerAnswer))),
    redisPerAnswer: median(present(raws.map((r) => r.redisPerAnswer))),
    serverPerCommit: median(present(raws.map((r) => r.serverPerCommit))),
    redisPerCommit: median(present(raws.map((r) => r.redisPerCommit))),
    serverTicks: fewest(raws.map((r) => r.serverTicks)),
    redisTicks: fewest(raws.map((r) => r.redisTicks)),
  };
}

function roundFigures(m: Measurement): RoundFigures {
  const l = m.load;
  const errors = l.socketErrors + (l.counts === null ? l.non2xx : l.counts.http5xx + l.counts.http4xx + (m.plan.judge === 'mixed' ? 0 : l.counts.http429));
  return {
    round: m.round + 1,
    seconds: round(l.seconds, 2),
    sent: l.sent,
    answered: l.answered,
    answeredPerSec: round(answeredPerSecond(l)),
    committedPerSec: l.seconds > 0 ? round(committedDuringLoad(m) / l.seconds) : 0,
    p50Ms: round(l.latencyMs.p50, 3),
    p99Ms: round(l.latencyMs.p99, 3),
    p999Ms: round(l.latencyMs.p999, 3),
    errors,
    sold: m.books.sold,
    ratioToHello: null,
    ratioToTypical: null,
    audit: m.plan.system === 'hello' ? 'n/a' : m.problems.length === 0 ? 'ok' : 'FAILED',
    problems: m.problems,
    books: m.books.detail,
    ...cpuFigures(rawCpu(m)),
  };
}

type Metric = 'answeredPerSec' | 'committedPerSec';

/** Ratios of `mine`'s metric to `peer`'s, round by round, as the median and the spread over rounds; null for none. */
export function ratioOverRounds(mine: RoundFigures[], peer: RoundFigures[] | undefined, metric: Metric): { median: number; spread: [number, number]; rounds: number } | null {
  if (peer === undefined) return null;
  const byRound = (figures: RoundFigures[]) => new Map(figures.map((f) => [f.round, f[metric]]));
  const ratios = ratiosByRound(byRound(mine), byRound(peer));
  const mid = median(ratios);
  return mid === null ? null : { median: round(mid, 3), spread: spread(ratios)!, rounds: ratios.length };
}

/** The median and spread of a row's per-round ratios (already taken round by round); null when none was. */
function overRounds(ratios: (number | null)[]): { median: number; spread: [number, number] } | null {
  const taken = present(ratios);
  const mid = median(taken);
  return mid === null ? null : { median: round(mid, 3), spread: spread(taken)! };
}

export function buildRows(measurements: Measurement[], fsync: FsyncTiming | null = null): Row[] {
  // One group per scenario and system, in the order of their first run (round 0 runs the scenario's order).
  const groups = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const key = `${m.plan.scenario}\u0000${m.plan.system}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const perRound = new Map([...groups].map(([key, ms]) => [key, [...ms].sort((a, b) => a.round - b.round).map(roundFigures)]));
  const peerOf = (scenario: string, system: string) => perRound.get(`${scenario}\u0000${system}`);
  const rows: Row[] = [];
  for (const [key, ms] of groups) {
    const figures = perRound.get(key)!;
    const first = ms[0];
    const { scenario, system } = first.plan;
    // Each round's ratios to that round's peers, for the JSON; the row's are their median and spread.
    for (const f of figures) {
      const peerRound = (peer: string) => peerOf(scenario, peer)?.find((p) => p.round === f.round)?.answeredPerSec;
      f.ratioToHello = system === 'hello' ? null : ratio(f.answeredPerSec, peerRound('hello'));
      f.ratioToTypical = system === 'typical' ? null : ratio(f.answeredPerSec, peerRound('typical'));
    }
    const toHello = overRounds(figures.map((f) => f.ratioToHello));
    const toTypical = overRounds(figures.map((f) => f.ratioToTypical));
    const mid = (pick: (f: RoundFigures) => number, digits = 0) => round(median(figures.map(pick)) ?? 0, digits);
    const failed = figures.filter((f) => f.audit === 'FAILED');
    const counts: Record<string, number> = {};
    for (const m of ms) for (const [k, v] of Object.entries({ ...(m.load.counts ?? {}), ...m.load.extra })) counts[k] = (counts[k] ?? 0) + v;
    const committedPerSec = mid((f) => f.committedPerSec);
    const connections = first.connections;
    rows.push({
      scenario,
      system,
      layout: first.layout,
      command: first.load.command,
      rounds: figures.length,
      connections,
      seconds: mid((f) => f.seconds, 2),
      sent: mid((f) => f.sent),
      answered: mid((f) => f.answered),
      answeredPerSec: mid((f) => f.answeredPerSec),
      committedPerSec,
      p50Ms: mid((f) => f.p50Ms, 3),
      p99Ms: mid((f) => f.p99Ms, 3),
      p999Ms: mid((f) => f.p999Ms, 3),
      errors: figures.reduce((sum, f) => sum + f.errors, 0),
      sold: mid((f) => f.sold),
      stock: first.plan.sale.stock,
      ratioToHello: toHello?.median ?? null,
      ratioToHelloSpread: toHello?.spread ?? null,
      ratioToTypical: toTypical?.median ?? null,
      ratioToTypicalSpread: toTypical?.spread ?? null,
      fsyncBound: first.plan.commitsEveryPurchase === true && system !== 'hello' ? fsyncBound(connections, committedPerSec, fsync) : null,
      audit: system === 'hello' ? 'n/a' : failed.length === 0 ? 'ok' : 'FAILED',
      // A problem names its round when there were several: each round is a sale of its own.
      problems: figures.flatMap((f) => f.problems.map((p) => (figures.length > 1 ? `round ${f.round}: ${p}` : p))),
      counts,
      books: figures[0].books,
      perRound: figures,
      ...cpuFigures(medianCpu(ms.map(rawCpu))),
    });
  }
  return rows;
}

function find(rows: Row[], scenario: string, system: string): Row | undefined {
  return rows.find((r) => r.scenario === scenario && r.system === system);
}

/** Issue 12's and issue 21's targets on this machine, judged from the medians over rounds (null: not run). */
export function buildTargets(rows: Row[]): Target[] {
  const targets: Target[] = [];
  const ts = (scenario: string) => find(rows, scenario, 'ticket-spike');
  const pair = (scenario: string, peer: string, metric: Metric = 'answeredPerSec') => {
    const mine = ts(scenario);
    return mine === undefined ? null : ratioOverRounds(mine.perRound, find(rows, scenario, peer)?.perRound, metric);
  };
  const atLeast = (what: string, r: ReturnType<typeof ratioOverRounds>, want: number) =>
    targets.push({
      what,
      want: `>= ${want}x`,
      got: r === null ? 'not run' : `${r.median}x${r.rounds > 1 ? ` [${r.spread[0]}, ${r.spread[1]}]` : ''}`,
      met: r === null ? null : r.median >= want,
    });
  const atMost = (what: string, row: Row | undefined, value: number | null | undefined, want: number, unit: string) =>
    targets.push({
      what,
      want: `<= ${want} ${unit}`,
      got: row === undefined ? 'not run' : value === null || value === undefined ? 'not measured' : `${value} ${unit}`,
      met: value === null || value === undefined ? null : value <= want,
    });
  atLeast('sale-path: ticket-spike / typical', pair('sale-path', 'typical'), 2);
  atLeast('sale-path-1000: ticket-spike / typical committed purchases/s', pair('sale-path-1000', 'typical', 'committedPerSec'), 3);
  atLeast('million: ticket-spike / hello behind the same nginx', pair('million', 'hello'), 0.95);
  atLeast('sold-out: ticket-spike / hello straight to a node', pair('sold-out', 'hello'), 0.95);
  atLeast('million: ticket-spike / article', pair('million', 'article'), 10);
  atMost('sale-path: ticket-spike success p99 at 100 connections', ts('sale-path'), ts('sale-path')?.p99Ms, 5, 'ms');
  atMost('sale-path-1000: ticket-spike success p99', ts('sale-path-1000'), ts('sale-path-1000')?.p99Ms, 30, 'ms');
  atMost('sold-out: ticket-spike p99 at 100 connections', ts('sold-out'), ts('sold-out')?.p99Ms, 2, 'ms');
  for (const scenario of ['sale-path-400', 'sale-path-1000']) {
    const row = ts(scenario);
    atMost(`${scenario}: ticket-spike node CPU per committed purchase`, row, row?.serverCpuUsPerCommit, 15, 'µs');
    atMost(`${scenario}: ticket-spike Redis CPU per committed purchase`, row, row?.redisCpuUsPerCommit, 8, 'µs');
  }
  return targets;
}

export function buildReport(measurements: Measurement[], meta: Omit<Report, 'rows' | 'targets' | 'auditsPassed'>): Report {
  const rows = buildRows(measurements, meta.settings.fsync ?? null);
  return { ...meta, rows, targets: buildTargets(rows), auditsPassed: rows.every((r) => r.audit !== 'FAILED') };
}
