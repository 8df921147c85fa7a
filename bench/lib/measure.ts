// Runs one Plan (one round of it): start the system on free ports, warm it up, load it — the servers' and Redis's
// CPU read just before and after the load — read its books, judge, and stop it — stopped whatever happened, so the
// next run has the cores to itself.
import { startBaseline } from './baselines.js';
import { trackSystem } from './children.js';
import { cpuSince, cpuSnapshot, type CpuUse } from './cpu.js';
import { judgeMixed, judgeSale } from './judge.js';
import { combined, type LoadResult } from './load-result.js';
import type { BenchOptions } from './options.js';
import { connectionsOf, type Plan } from './plan.js';
import { runAb } from './run-ab.js';
import { runWrk, warmUp } from './run-wrk.js';
import type { Books, RunningSystem } from './system.js';
import { startTicketSpike } from './ticket-spike.js';

export interface Measurement {
  plan: Plan;
  /** 0-based round of the plan's scenario (bench/lib/rounds.ts). */
  round: number;
  /** The measured load's connections (wrk -c, ab -c). */
  connections: number;
  layout: string;
  load: LoadResult;
  books: Books;
  /** CPU the servers and Redis used during the measured load (not the warm-up, not a sell-out); null when /proc could not be read or a process exited. */
  cpu: CpuUse | null;
  /**
   * Purchases confirmed before the measured load by a warm-up that sells (plans whose every purchase commits):
   * the report counts only the rest as committed during the load. 0 (or absent) otherwise.
   */
  soldBeforeLoad?: number;
  /** Empty when the run's audit passed. */
  problems: string[];
}

function start(plan: Plan, workDir: string, o: BenchOptions): Promise<RunningSystem> {
  if (plan.system === 'ticket-spike') return startTicketSpike(plan.layout, plan.sale, workDir, o.nginxWorkers);
  return startBaseline(plan.system, plan.layout, plan.sale, workDir, o.nginxWorkers);
}

async function load(plan: Plan, url: string, o: BenchOptions, workDir: string, run: string): Promise<LoadResult> {
  const l = plan.load;
  if (l.tool === 'ab') return runAb(`${url}/buy/ticket?sale=${plan.sale.id}`, l.requests, l.concurrency, workDir);
  const base = { url, threads: o.threads, connections: connectionsOf(plan, o), seconds: l.seconds };
  if (l.script === 'mixed') return runWrk({ ...base, script: 'mixed', args: [plan.sale.id, run] });
  const wrkRun = { ...base, script: 'buyers' as const, args: [plan.sale.id, run, l.mode, String(l.budgetPerThread ?? 0)] };
  return runWrk(l.budgetPerThread === undefined ? wrkRun : { ...wrkRun, budgetPerThread: l.budgetPerThread });
}

/**
 * Buyers of their own (run 's') with a budget of the stock plus a fifth, split over wrk's threads: every ticket
 * is sold before the measured load starts (each buyer is new, so each purchase takes one while any is left).
 */
function sellOut(plan: Plan, url: string, o: BenchOptions): Promise<LoadResult> {
  const budgetPerThread = Math.ceil((plan.sale.stock * 1.2) / o.threads);
  return runWrk({
    url,
    threads: o.threads,
    connections: o.connections,
    seconds: 120,
    script: 'buyers',
    args: [plan.sale.id, 's', 'user', String(budgetPerThread)],
    budgetPerThread,
  });
}

/** o.warmup seconds of new buyers of the measured sale (run 'w'), as many connections as the load. */
function sellingWarmUp(plan: Plan, url: string, o: BenchOptions, connections: number): Promise<LoadResult | null> {
  if (o.warmup <= 0) return Promise.resolve(null);
  return runWrk({ url, threads: o.threads, connections, seconds: o.warmup, script: 'buyers', args: [plan.sale.id, 'w', 'user', '0'] });
}

export async function measure(plan: Plan, round: number, o: BenchOptions, workDir: string, report: (step: string) => void): Promise<Measurement> {
  let last = Date.now();
  // BENCH_DEBUG=1: how long each step took (start, warm-up, load, drain, audit, stop), on stderr.
  const onStep = (step: string) => {
    if (process.env['BENCH_DEBUG']) process.stderr.write(`  [${plan.scenario}/${plan.system}/r${round + 1}] +${Date.now() - last} ms -> ${step}\n`);
    last = Date.now();
    report(step);
  };
  onStep('starting');
  const system = await start(plan, workDir, o);
  const untrack = trackSystem(system);
  try {
    onStep('warming up');
    const connections = connectionsOf(plan, o);
    // As many connections as the load: a server's accept queue and per-connection state warmed for it. Where
    // every purchase commits, the warm-up buys in the measured sale (buyers of their own, run 'w'): each system's
    // purchase path, Redis's first memory growth and its connection pools are warm when the measured load
    // starts, so a 4 s round measures the steady state rather than a cold start (which differed by system).
    let warm: LoadResult | null = null;
    if (plan.commitsEveryPurchase === true) warm = await sellingWarmUp(plan, system.url, o, connections);
    else await warmUp(system.url, o.warmup, connections);
    let soldBefore: LoadResult | null = null;
    if (plan.sellOutFirst === true) {
      onStep('selling out');
      soldBefore = await sellOut(plan, system.url, o);
    }
    onStep(plan.load.tool === 'ab' ? `ab -n ${plan.load.requests}` : 'loading');
    const cpuBefore = cpuSnapshot(system.serverPids, system.redisPid);
    // Each run has its own Redis, so buyer ids need only be distinct within the run (u-<thread>-<n>).
    const result = await load(plan, system.url, o, workDir, 'u');
    const cpu = cpuSince(cpuBefore);
    // Stopped before the count: a baseline's lock still has queued purchases when wrk hangs up, and a node
    // drains its in-flight batches on SIGTERM; counted while they run, the books would not add up.
    onStep('draining');
    await system.stopServers();
    onStep('auditing');
    const books = await system.books();
    // hello sells nothing: it has no books to judge, only figures.
    const before = [warm, soldBefore].filter((r): r is LoadResult => r !== null);
    const judged = before.reduce((all, r) => combined(r, all), result);
    const problems = plan.system === 'hello' ? [] : plan.judge === 'mixed' ? judgeMixed(judged, books) : judgeSale(plan.sale.stock, judged, books);
    // A warm-up purchase with no answer (or a 5xx) may have committed too; counted here as before the load would
    // need Redis's count at that moment — the few there are stay in the load's share.
    const soldBeforeLoad = warm?.counts?.ok ?? 0;
    return { plan, round, connections, layout: system.layout, load: result, books, cpu, problems, soldBeforeLoad };
  } finally {
    onStep('stopping');
    await system.stop();
    untrack();
    onStep('stopped');
  }
}
