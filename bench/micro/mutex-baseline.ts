// Question 3, baseline (a): the same counter guarded by a futex-style mutex (Atomics.wait/notify in a
// SharedArrayBuffer), hammered by 2 and 4 threads — the shape of "CAS take, one shared partition".

import { layout } from '../../native-free-shm/src/index.js';
import { kUnitsIndex } from './lib/futex-mutex.js';
import { measureFleet, makeReport, runStandalone, type Report, type Row } from './lib/harness.js';
import type { MutexWorkerData } from './workers/mutex-worker.js';

const mutexWorker = new URL('./workers/mutex-worker.ts', import.meta.url);

export async function run(): Promise<Report> {
  const rows: Row[] = [];
  for (const threads of [2, 4]) {
    const buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const i32 = new Int32Array(buffer);
    rows.push(
      await measureFleet(
        'mutex take (futex-style)',
        mutexWorker,
        Array.from({ length: threads }, (): MutexWorkerData => ({ buffer })),
        // Workers are idle between rounds, so a store is enough; the next round's lock orders it.
        () => Atomics.store(i32, kUnitsIndex, layout.kMaxUnits),
      ),
    );
  }
  return makeReport('mutex-baseline', 'a counter behind an Atomics.wait/notify mutex, 2 and 4 threads', rows, [
    "Drepper's mutex 3 (lib/futex-mutex.ts): CAS to lock, sub to unlock, Atomics.wait only under contention.",
  ]);
}

await runStandalone(import.meta.url, run);
