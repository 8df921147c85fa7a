// CPU time of a system under test, in its two shares: the servers (nodes, a cluster's primary and its workers,
// the article) and its Redis. Read from /proc/<pid>/stat — user + sys clock ticks (fields 14 and 15), which cover
// every thread of the process (a node's uWS threads and pool) — just before and just after the measured load, as
// bench/stress/servers.sh's cpu_ticks does. A tick is 1/CLK_TCK s (10 ms at the usual 100): a figure resting on
// fewer than 100 ticks is approximate, and the report says so (cpuFigure).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Under this many ticks (1 s at CLK_TCK 100) a share's figures are given to 2 significant digits, marked "~". */
export const EXACT_TICKS = 100;

export interface CpuUse {
  serverSeconds: number;
  /** null without a Redis (hello). */
  redisSeconds: number | null;
  serverTicks: number;
  redisTicks: number | null;
  ticksPerSecond: number;
  /** The processes counted as servers: the started ones and every descendant found at the first reading. */
  serverPids: number[];
}

interface Snapshot {
  serverPids: number[];
  redisPid: number | undefined;
  serverTicks: number;
  redisTicks: number | null;
}

/** ppid and user + sys ticks of one /proc/<pid>/stat line. The name (field 2) may hold spaces and ')': parse after the last ')'. Pure. */
export function parseStat(text: string): { ppid: number; ticks: number } {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  // After the name: field 3 (state) is index 0, so field n is index n - 3.
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const ppid = Number(fields[4 - 3]);
  const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
  if (!Number.isFinite(ppid) || !Number.isFinite(ticks)) throw new Error(`cannot read ppid, utime, stime from: ${text.slice(0, 120)}`);
  return { ppid, ticks };
}

let clkTck: number | undefined;
/** CLK_TCK (getconf), 100 when getconf cannot say. */
export function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      clkTck = Number.isInteger(n) && n > 0 ? n : 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

function statOf(pid: number): { ppid: number; ticks: number } | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Direct children of pid: /proc/<pid>/task/<tid>/children, or a scan of every process's ppid where the kernel has no such file. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number),
    );
  } catch {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((p) => statOf(p)?.ppid === pid);
  }
}

/** The pids and everything below them (a cluster's workers are children of its primary). */
function withDescendants(roots: number[]): number[] {
  const seen = new Set<number>();
  const todo = [...roots];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    todo.push(...childrenOf(pid));
  }
  return [...seen];
}

/** Sum of the pids' ticks; null when one of them is gone (its time is lost, the figure would be too low). */
function ticksOf(pids: number[]): number | null {
  let sum = 0;
  for (const pid of pids) {
    const s = statOf(pid);
    if (s === null) return null;
    sum += s.ticks;
  }
  return sum;
}

/** The first reading, just before the measured load; null when /proc cannot be read (not Linux). */
export function cpuSnapshot(serverRoots: number[], redisPid: number | undefined): Snapshot | null {
  const serverPids = withDescendants(serverRoots);
  const serverTicks = ticksOf(serverPids);
  const redisTicks = redisPid === undefined ? null : ticksOf([redisPid]);
  if (serverTicks === null || (redisPid !== undefined && redisTicks === null)) return null;
  return { serverPids, redisPid, serverTicks, redisTicks };
}

/** The second reading, just after the load: what the same processes used in between; null when one exited. */
export function cpuSince(before: Snapshot | null): CpuUse | null {
  if (before === null) return null;
  const server = ticksOf(before.serverPids);
  const redis = before.redisPid === undefined ? null : ticksOf([before.redisPid]);
  if (server === null || (before.redisPid !== undefined && redis === null)) return null;
  return cpuUse(server - before.serverTicks, redis === null ? null : redis - before.redisTicks!, ticksPerSecond(), before.serverPids);
}

/** Ticks to seconds. Pure. */
export function cpuUse(serverTicks: number, redisTicks: number | null, perSecond: number, serverPids: number[] = []): CpuUse {
  return {
    serverSeconds: serverTicks / perSecond,
    redisSeconds: redisTicks === null ? null : redisTicks / perSecond,
    serverTicks,
    redisTicks,
    ticksPerSecond: perSecond,
    serverPids,
  };
}

/** CPU microseconds per item (answer, committed purchase): null when there is no time or no item. Unrounded. Pure. */
export function cpuPerItemUs(seconds: number | null | undefined, items: number): number | null {
  if (seconds === null || seconds === undefined || items <= 0) return null;
  return (seconds * 1e6) / items;
}

/**
 * A figure as the report gives it: 2 decimals when it rests on at least EXACT_TICKS ticks, else 2 significant
 * digits (±1 tick at each reading is 2% of 100 ticks, 20% of 10: more digits would claim what was not measured).
 * Pure.
 */
export function cpuFigure(us: number | null, ticks: number | null): number | null {
  if (us === null || ticks === null) return null;
  if (ticks >= EXACT_TICKS) return Number(us.toFixed(2));
  return us === 0 ? 0 : Number(us.toPrecision(2));
}
