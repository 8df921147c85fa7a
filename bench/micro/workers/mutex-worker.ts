// Baseline (a): a thread taking units from a counter guarded by the futex-style mutex.

import { parentPort, workerData } from 'node:worker_threads';
import { kLockIndex, kUnitsIndex, lock, unlock } from '../lib/futex-mutex.js';

export interface MutexWorkerData {
  /** Int32 [0] = lock word, [1] = units. */
  buffer: SharedArrayBuffer;
}

const i32 = new Int32Array((workerData as MutexWorkerData).buffer);

function take(): boolean {
  lock(i32, kLockIndex);
  // Plain read/write inside the critical section: the seq-cst lock/unlock operations on the lock word
  // order them (happens-before) against every other thread's critical section.
  const units = i32[kUnitsIndex] ?? 0;
  const ok = units > 0;
  if (ok) i32[kUnitsIndex] = units - 1;
  unlock(i32, kLockIndex);
  return ok;
}

parentPort?.on('message', ({ ops }: { ops: number }) => {
  let ok = 0;
  for (let i = 0; i < ops; i++) if (take()) ok++;
  parentPort?.postMessage({ ok });
});
parentPort?.postMessage('ready');
