// Question: does padding each partition to its own 64-byte cache line matter? 2 and 4 threads, each
// taking from its own partition, with the default padded layout vs cacheLinePadding: false (four
// partitions share one line, so every CAS by one thread invalidates the line in the others' caches).

import { StockCounters, layout } from '../../native-free-shm/src/index.js';
import { measureFleet, makeReport, runStandalone, type Report, type Row } from './lib/harness.js';
import type { CasWorkerData } from './workers/cas-worker.js';

const casWorker = new URL('./workers/cas-worker.ts', import.meta.url);

export async function run(): Promise<Report> {
  const rows: Row[] = [];
  for (const threads of [2, 4]) {
    for (const cacheLinePadding of [true, false]) {
      const counters = StockCounters.create({ sales: 1, partitions: threads, cacheLinePadding });
      rows.push(
        await measureFleet(
          cacheLinePadding ? 'own partitions, padded (64 B each)' : 'own partitions, packed (16 B each)',
          casWorker,
          Array.from({ length: threads }, (_, partition): CasWorkerData => ({ buffer: counters.buffer, slot: 0, partition, mode: 'take' })),
          () => counters.setQuota(0, layout.kMaxUnits),
        ),
      );
    }
  }
  return makeReport('false-sharing', 'cache-line padding of partitions vs packed partitions', rows, [
    'Only meaningful when the threads really run in parallel: with more threads than free cores, preemption hides it.',
  ]);
}

await runStandalone(import.meta.url, run);
