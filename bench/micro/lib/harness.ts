// Shared plumbing for the micro benchmarks: a fleet of worker threads driven in rounds, tinybench for
// the timing and statistics, and the JSON/table output.
//
// Why rounds: tinybench times a function on ONE thread. To measure a counter hammered by N threads we
// make the timed function "one round": the main thread tells every worker to do `ops` operations and
// resolves when the last one reports back. tinybench times each round (wall clock, all threads
// overlapped) and repeats it; throughput = N x ops / mean round time. The ops per round are calibrated
// so a round lasts ~25 ms, which makes the postMessage start/finish overhead (tens of microseconds)
// ~0.1% of a round. Workers are started and warmed before timing, so thread start-up is not measured.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Transferable, Worker } from 'node:worker_threads';
import { Bench } from 'tinybench';
import { nextMessage, spawnTsWorker } from './spawn.js';

export interface Row {
  name: string;
  threads: number;
  /** Operations per timed iteration (all threads together). */
  opsPerIteration: number;
  opsPerSec: number;
  /** Mean time of one timed iteration (ms). */
  meanMs: number;
  /** Relative margin of error of the mean iteration time (%). */
  rme: number;
  samples: number;
  /** When the question ran several interleaved passes: ops/s of every pass (opsPerSec is the best). */
  passes?: number[];
}

export interface Report {
  name: string;
  question: string;
  node: string;
  v8: string;
  cpus: number;
  cpuModel: string;
  /** 1-minute load average when the report was made: other processes on the machine skew figures. */
  loadAverage: number;
  date: string;
  rows: Row[];
  notes: string[];
}

/** Timing budget per task, kept small so `npm run bench:micro` stays well under two minutes. */
const benchOptions = { time: 800, warmupTime: 150, iterations: 5, warmupIterations: 2 } as const;

function toRow(name: string, threads: number, opsPerIteration: number, bench: Bench): Row {
  const result = bench.tasks[0]?.result;
  if (!result || result.error) throw result?.error ?? new Error(`benchmark ${name} produced no result`);
  const meanMs = result.latency.mean;
  return {
    name,
    threads,
    opsPerIteration,
    opsPerSec: (opsPerIteration * 1000) / meanMs,
    meanMs,
    rme: result.latency.rme,
    samples: result.latency.samples.length,
  };
}

/** Single-thread measurement: `fn` performs `batch` operations per call (amortises tinybench's own overhead). */
export async function measureSingle(name: string, batch: number, fn: () => void): Promise<Row> {
  const bench = new Bench({ ...benchOptions, throws: true });
  bench.add(name, fn);
  await bench.run();
  return toRow(name, 1, batch, bench);
}

export interface RoundReply {
  /** Successful operations (e.g. takes that got a unit), for sanity checks. */
  ok: number;
}

/** N workers that each run `ops` operations when told to, all from the same worker file. */
export class Fleet {
  readonly workers: Worker[];

  private constructor(workers: Worker[]) {
    this.workers = workers;
  }

  static async start(file: URL, workerData: unknown[], transfer: Transferable[][] = []): Promise<Fleet> {
    const workers = workerData.map((data, i) => spawnTsWorker(file, data, transfer[i]));
    await Promise.all(workers.map((w) => nextMessage<string>(w)));
    return new Fleet(workers);
  }

  async round(ops: number): Promise<RoundReply[]> {
    const replies = this.workers.map((w) => nextMessage<RoundReply>(w));
    for (const w of this.workers) w.postMessage({ ops });
    return Promise.all(replies);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Ops per worker so that one round takes about `targetMs`. */
async function calibrate(fleet: Fleet, beforeRound: () => void, targetMs = 25): Promise<number> {
  // Two passes: the first also warms the workers' JIT, whose cold rounds would make ops too small.
  let ops = 1000;
  for (let pass = 0; pass < 2; pass++) {
    for (;;) {
      // Fastest of three rounds: a round stretched by preemption (other processes, more threads than
      // cores) would otherwise shrink ops and leave the real rounds so short that messaging overhead counts.
      let elapsed = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        beforeRound();
        const start = performance.now();
        await fleet.round(ops);
        elapsed = Math.min(elapsed, performance.now() - start);
      }
      if (elapsed >= 5 || ops >= 1 << 26) {
        ops = Math.max(100, Math.round((ops * targetMs) / Math.max(elapsed, 0.001)));
        break;
      }
      ops *= 4;
    }
  }
  return ops;
}

/**
 * Multi-thread measurement: starts `workerData.length` workers from `file`, calibrates, then lets
 * tinybench time rounds. `beforeRound` runs on the main thread before each round (e.g. restock) and is
 * part of the timed round, so keep it O(1).
 */
export async function measureFleet(
  name: string,
  file: URL,
  workerData: unknown[],
  beforeRound: () => void = () => undefined,
  transfer: Transferable[][] = [],
): Promise<Row> {
  const fleet = await Fleet.start(file, workerData, transfer);
  try {
    const ops = await calibrate(fleet, beforeRound);
    const bench = new Bench({ ...benchOptions, throws: true });
    bench.add(name, async () => {
      beforeRound();
      await fleet.round(ops);
    });
    await bench.run();
    return toRow(name, workerData.length, ops * workerData.length, bench);
  } finally {
    await fleet.close();
  }
}

export function makeReport(name: string, question: string, rows: Row[], notes: string[]): Report {
  return {
    name,
    question,
    node: process.version,
    v8: process.versions.v8,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage: loadavg()[0] ?? 0,
    date: new Date().toISOString(),
    rows,
    notes,
  };
}

export function printReport(report: Report): void {
  console.log(`\n## ${report.name}: ${report.question}`);
  console.table(
    report.rows.map((r) => ({
      variant: r.name,
      threads: r.threads,
      'ops/s': Math.round(r.opsPerSec).toLocaleString('en-US'),
      'ns/op (wall)': (1e9 / r.opsPerSec).toFixed(1),
      '±%': r.rme.toFixed(1),
      samples: r.samples,
    })),
  );
}

export function writeReport(report: Report): string {
  const dir = new URL('../../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`micro-${report.name}.json`, dir);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file.pathname;
}

/** For `node --import tsx --conditions=source bench/micro/<file>.ts`: run one question on its own. */
export async function runStandalone(importMetaUrl: string, run: () => Promise<Report>): Promise<void> {
  const entry = process.argv[1];
  if (entry === undefined || new URL(importMetaUrl).pathname !== entry) return;
  const report = await run();
  printReport(report);
  console.log(`wrote ${writeReport(report)}`);
}
