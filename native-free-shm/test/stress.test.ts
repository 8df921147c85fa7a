// Conservation under real contention: 4 worker threads, >= 1,000,000 mixed take/give operations, checked
// exactly. Every unit is accounted for: what was granted + what was given back - what was taken must be
// exactly what is left, and a final take-until-empty phase must find exactly that many units (a unit
// taken twice, or lost, shows up as a mismatch).

import t from 'tap';
import type { Worker } from 'node:worker_threads';
import { StockCounters } from '../src/index.js';
import { nextMessage, spawnTsWorker } from './fixtures/spawn.js';
import type { DrainResult, MixedResult, StressWorkerData } from './fixtures/stress-worker.js';

const WORKERS = 4;
const OPS_PER_WORKER = 500_000; // 4 x 500k = 2M mixed operations per subtest
const SLOT = 1; // not slot 0, so an indexing bug that spills into a neighbour shows up
const worker = new URL('./fixtures/stress-worker.ts', import.meta.url);

interface Run {
  counters: StockCounters;
  gates: Int32Array;
  workers: Worker[];
}

async function startWorkers(counters: StockCounters): Promise<Run> {
  const gatesBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const workers = Array.from({ length: WORKERS }, (_, partition) =>
    spawnTsWorker(worker, {
      buffer: counters.buffer,
      gates: gatesBuffer,
      slot: SLOT,
      partition,
      ops: OPS_PER_WORKER,
      seed: 0x9e3779b9 * (partition + 1),
    } satisfies StressWorkerData),
  );
  await Promise.all(workers.map((w) => nextMessage<string>(w)));
  return { counters, gates: new Int32Array(gatesBuffer), workers };
}

function open(gates: Int32Array, gate: number): void {
  Atomics.store(gates, gate, 1);
  Atomics.notify(gates, gate);
}

function sum<T>(items: T[], pick: (item: T) => number): number {
  return items.reduce((acc, item) => acc + pick(item), 0);
}

t.test('take/give from 4 threads conserve every unit exactly', async (t) => {
  const counters = StockCounters.create({ sales: 3, partitions: WORKERS });
  const initial = 10_000;
  counters.setQuota(SLOT, initial);
  const run = await startWorkers(counters);
  const mixed = run.workers.map((w) => nextMessage<MixedResult>(w));
  open(run.gates, 0);
  const results = await Promise.all(mixed);

  const takes = sum(results, (r) => r.takes);
  const gives = sum(results, (r) => r.gives);
  const ops = sum(results, (r) => r.takes + r.failedTakes + r.giveCalls);
  t.ok(ops >= 1_000_000, `${ops} take/give calls from ${WORKERS} threads`);
  t.ok(sum(results, (r) => r.failedTakes) > 0, `the stock ran dry at times (${sum(results, (r) => r.failedTakes)} takes found nothing)`);
  t.equal(sum(results, (r) => r.negativeSeen), 0, `no negative count in ${sum(results, (r) => r.observations)} observations`);
  const after = counters.snapshot(SLOT);
  t.equal(after.available, initial + gives - takes, 'initial + gives - takes == available');
  t.equal(after.available, initial, 'every thread returned what it held, so the slot is back at its initial stock');
  t.equal(after.taken, takes, 'the per-slot taken counter matches the threads’ own count');
  t.equal(after.given, gives, 'the per-slot given counter matches the threads’ own count');

  // Drain phase: put a million more units on partition 0 alone (threads are parked, so this is not a
  // concurrent write), so three of the four threads can only get units by stealing from the same int32
  // the fourth is taking from. Only takes run now, so a take returning false means truly empty.
  const extra = 1_000_000;
  counters.give(SLOT, 0, extra);
  const drain = run.workers.map((w) => nextMessage<DrainResult>(w));
  open(run.gates, 1);
  const perThread = (await Promise.all(drain)).map((r) => r.takes);
  t.equal(sum(perThread, (n) => n), initial + extra, `take-until-empty found exactly ${initial + extra} units, none twice (per thread: ${perThread.join(', ')})`);
  t.equal(counters.available(SLOT), 0, 'empty afterwards');
  t.equal(counters.available(0) + counters.available(2), 0, 'neighbouring slots untouched');
  await Promise.all(run.workers.map((w) => w.terminate()));
});

t.test('conservation stays exact while the main thread replaces quotas and gives concurrently', async (t) => {
  const counters = StockCounters.create({ sales: 3, partitions: WORKERS });
  let granted = counters.exchangeQuota(SLOT, 10_000) === 0 ? 10_000 : NaN;
  let mainGives = 0;
  let quotaCalls = 0;
  let negativeSeen = 0;
  const run = await startWorkers(counters);
  const mixed = Promise.all(run.workers.map((w) => nextMessage<MixedResult>(w)));
  let done = false;
  void mixed.then(() => {
    done = true;
  });
  open(run.gates, 0);
  let r = 12345;
  while (!done) {
    // The reconciler's job, hammered: replace the quota (exchangeQuota says exactly how many units it
    // overwrote, so the books still close) and give units back to random partitions.
    r = (r * 1103515245 + 12345) & 0x7fffffff;
    const total = r % 20_000;
    granted += total - counters.exchangeQuota(SLOT, total);
    quotaCalls++;
    const amount = 1 + (r % 5);
    counters.give(SLOT, (r >>> 4) % WORKERS, amount);
    mainGives += amount;
    if (counters.snapshot(SLOT).partitions.some((units) => units < 0)) negativeSeen++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const results = await mixed;
  const takes = sum(results, (x) => x.takes);
  const gives = sum(results, (x) => x.gives);
  t.ok(sum(results, (x) => x.takes + x.failedTakes + x.giveCalls) >= 1_000_000, 'at least 1M take/give calls');
  t.ok(quotaCalls > 10, `the main thread replaced the quota ${quotaCalls} times during the run`);
  t.equal(negativeSeen + sum(results, (x) => x.negativeSeen), 0, 'no negative count observed');
  const after = counters.snapshot(SLOT);
  t.equal(after.available, granted + mainGives + gives - takes, 'granted (net of replaced) + gives - takes == available');
  t.equal(after.taken, takes, 'taken counter exact');
  t.equal(after.given, gives + mainGives, 'given counter exact');
  t.equal(after.seq, quotaCalls + 1, 'seq counts every quota replacement');

  const drain = run.workers.map((w) => nextMessage<DrainResult>(w));
  open(run.gates, 1);
  const drained = sum(await Promise.all(drain), (x) => x.takes);
  t.equal(drained, after.available, 'take-until-empty found exactly the units left');
  t.equal(counters.available(SLOT), 0, 'empty afterwards');
  await Promise.all(run.workers.map((w) => w.terminate()));
});
