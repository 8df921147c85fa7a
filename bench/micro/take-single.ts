// Question 1: what does one take() cost on one thread, uncontended?
// Each timed call does 10,000 takes, so tinybench's per-call overhead (~100 ns) is amortised away.

import { StockCounters, layout } from '../../native-free-shm/src/index.js';
import { measureSingle, makeReport, runStandalone, type Report, type Row } from './lib/harness.js';
import { kLockIndex, kUnitsIndex, lock, unlock } from './lib/futex-mutex.js';

const BATCH = 10_000;

export async function run(): Promise<Report> {
  const rows: Row[] = [];

  // Own partition has units: the common case, one load + one CAS + one add.
  const one = StockCounters.create({ sales: 1, partitions: 4 });
  rows.push(
    await measureSingle('take() from own partition', BATCH, () => {
      if (one.snapshot(0).partitions[0] < BATCH) one.setQuota(0, layout.kMaxUnits);
      for (let i = 0; i < BATCH; i++) one.take(0, 0);
    }),
  );

  // The request's whole shared-memory work on the hot path: two flag reads, then take().
  const hot = StockCounters.create({ sales: 1, partitions: 4 });
  hot.setOpen(0, true);
  rows.push(
    await measureSingle('isOpen + isSoldOut + take()', BATCH, () => {
      if (hot.snapshot(0).partitions[0] < BATCH) hot.setQuota(0, layout.kMaxUnits);
      for (let i = 0; i < BATCH; i++) if (hot.isOpen(0) && !hot.isSoldOut(0)) hot.take(0, 0);
    }),
  );

  // Own partition empty, units only in the last one: three empty loads, then the CAS there.
  const steal = StockCounters.create({ sales: 1, partitions: 4 });
  rows.push(
    await measureSingle('take() stealing (3 empty partitions first)', BATCH, () => {
      if (steal.available(0) < BATCH) steal.give(0, 3, 1 << 30);
      for (let i = 0; i < BATCH; i++) steal.take(0, 0);
    }),
  );

  // Nothing anywhere: the "sold out locally" answer, 4 loads and no write.
  const empty = StockCounters.create({ sales: 1, partitions: 4 });
  rows.push(
    await measureSingle('take() on an empty slot (false)', BATCH, () => {
      for (let i = 0; i < BATCH; i++) empty.take(0, 0);
    }),
  );

  // Reference: the mutex baseline with nobody else around (lock + decrement + unlock, no syscall).
  const m = new Int32Array(new SharedArrayBuffer(8));
  rows.push(
    await measureSingle('mutex take, uncontended (baseline a)', BATCH, () => {
      Atomics.store(m, kUnitsIndex, layout.kMaxUnits);
      for (let i = 0; i < BATCH; i++) {
        lock(m, kLockIndex);
        const units = m[kUnitsIndex];
        if (units > 0) m[kUnitsIndex] = units - 1;
        unlock(m, kLockIndex);
      }
    }),
  );

  return makeReport('take-single', 'take() on one thread, uncontended', rows, [
    `${BATCH} operations per timed call; ops/s = ${BATCH} / mean call time.`,
  ]);
}

await runStandalone(import.meta.url, run);
