// Question 2: take() under contention from 2 and 4 threads, total ops/s across threads.
// Two shapes: every thread on the SAME partition (worst case: one int32 everybody CASes — the same shape
// as the mutex and channel baselines), and each thread on its OWN partition (the design: threads only
// meet when one runs dry and steals). See lib/harness.ts for how multi-thread throughput is timed.

import { StockCounters, layout } from '../../native-free-shm/src/index.js';
import { measureFleet, makeReport, runStandalone, type Report, type Row } from './lib/harness.js';
import type { CasWorkerData } from './workers/cas-worker.js';

const casWorker = new URL('./workers/cas-worker.ts', import.meta.url);

export async function run(): Promise<Report> {
  const rows: Row[] = [];
  for (const threads of [2, 4]) {
    const shared = StockCounters.create({ sales: 1, partitions: 1 });
    rows.push(
      await measureFleet(
        'CAS take, one shared partition',
        casWorker,
        Array.from({ length: threads }, (): CasWorkerData => ({ buffer: shared.buffer, slot: 0, partition: 0, mode: 'take' })),
        () => shared.setQuota(0, layout.kMaxUnits),
      ),
    );
    const own = StockCounters.create({ sales: 1, partitions: threads });
    rows.push(
      await measureFleet(
        'CAS take, own partition per thread',
        casWorker,
        Array.from({ length: threads }, (_, partition): CasWorkerData => ({ buffer: own.buffer, slot: 0, partition, mode: 'take' })),
        () => own.setQuota(0, layout.kMaxUnits),
      ),
    );
  }
  return makeReport('take-contention', 'take() hammered by 2 and 4 worker threads on one slot', rows, [
    'Wall time of rounds in which every worker does a fixed number of takes; ops/s = all takes / mean round time.',
    'On a 2-CPU machine 4 threads time-share 2 cores: the 4-thread figures include preemption.',
  ]);
}

await runStandalone(import.meta.url, run);
