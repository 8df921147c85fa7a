// Question: what do the per-slot cumulative `taken` counters (one Atomics.add on the taker's own cache
// line per successful take) cost? take() as shipped vs the same CAS loop without the add (and without
// argument checks), on one thread and with 2 and 4 threads each on its own partition.

import { StockCounters, layout } from '../../native-free-shm/src/index.js';
import { makeBareTake } from './lib/bare-take.js';
import { measureFleet, measureSingle, makeReport, runStandalone, type Report, type Row } from './lib/harness.js';
import type { CasWorkerData } from './workers/cas-worker.js';

const BATCH = 10_000;
const casWorker = new URL('./workers/cas-worker.ts', import.meta.url);

export async function run(): Promise<Report> {
  const rows: Row[] = [];

  const shipped = StockCounters.create({ sales: 1, partitions: 4 });
  rows.push(
    await measureSingle('take() with taken counter', BATCH, () => {
      if (shipped.snapshot(0).partitions[0] < BATCH) shipped.setQuota(0, layout.kMaxUnits);
      for (let i = 0; i < BATCH; i++) shipped.take(0, 0);
    }),
  );
  const reference = StockCounters.create({ sales: 1, partitions: 4 });
  const bare = makeBareTake(reference);
  rows.push(
    await measureSingle('bare CAS take, no counter, no checks', BATCH, () => {
      if (reference.snapshot(0).partitions[0] < BATCH) reference.setQuota(0, layout.kMaxUnits);
      for (let i = 0; i < BATCH; i++) bare(0, 0);
    }),
  );

  for (const threads of [2, 4]) {
    for (const mode of ['take', 'bare'] as const) {
      const counters = StockCounters.create({ sales: 1, partitions: threads });
      const data = Array.from({ length: threads }, (_, partition): CasWorkerData => ({
        buffer: counters.buffer,
        slot: 0,
        partition,
        mode,
      }));
      rows.push(
        await measureFleet(
          mode === 'take' ? 'take() with taken counter, own partitions' : 'bare CAS take, own partitions',
          casWorker,
          data,
          () => counters.setQuota(0, layout.kMaxUnits),
        ),
      );
    }
  }

  return makeReport('take-counters', 'cost of the cumulative taken counter in take()', rows, [
    'bare = the same CAS loop built from the exported layout constants, without Atomics.add(taken) and without argument checks.',
  ]);
}

await runStandalone(import.meta.url, run);
