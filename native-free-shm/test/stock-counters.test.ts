// Every operation, single-threaded: what it changes and, as importantly, what it leaves alone.

import t from 'tap';
import { StockCounters, layout } from '../src/index.js';

function partitionsOf(counters: StockCounters, slot: number): number[] {
  return counters.snapshot(slot).partitions;
}

t.test('create: dimensions, byte length, a zeroed slot is closed, not sold out and empty', async (t) => {
  const counters = StockCounters.create({ sales: 3, partitions: 4 });
  t.equal(counters.sales, 3);
  t.equal(counters.partitions, 4);
  t.equal(counters.cacheLinePadding, true, 'padded by default');
  t.ok(counters.buffer instanceof SharedArrayBuffer);
  // header line + per slot (control line + one line per partition), 64 bytes each
  t.equal(counters.buffer.byteLength, 64 * (1 + 3 * (1 + 4)));
  t.equal(StockCounters.byteLength({ sales: 3, partitions: 4 }), counters.buffer.byteLength);
  t.equal(StockCounters.byteLength({ sales: 3, partitions: 4, cacheLinePadding: false }), 64 + 3 * (64 + 4 * 16));
  for (let slot = 0; slot < 3; slot++) {
    t.same(counters.snapshot(slot), {
      slot,
      available: 0,
      partitions: [0, 0, 0, 0],
      open: false,
      soldOut: false,
      taken: 0,
      given: 0,
      seq: 0,
      consistent: true,
    });
  }
  t.equal(counters.take(0, 0), false, 'nothing to take yet');
});

t.test('the header names the layout', async (t) => {
  const counters = StockCounters.create({ sales: 2, partitions: 3 });
  const header = new Int32Array(counters.buffer, 0, layout.kHeaderInts);
  t.equal(header[layout.kMagicField], layout.kMagic);
  t.equal(header[layout.kVersionField], layout.kLayoutVersion);
  t.equal(header[layout.kSalesField], 2);
  t.equal(header[layout.kPartitionsField], 3);
  t.equal(header[layout.kPartitionStrideField], layout.kPaddedPartitionStride);
  t.equal(header[layout.kByteLengthField], counters.buffer.byteLength);
});

t.test('setQuota spreads evenly, remainder to the lowest partitions, and replaces rather than adds', async (t) => {
  const counters = StockCounters.create({ sales: 2, partitions: 3 });
  counters.setQuota(0, 10);
  t.same(partitionsOf(counters, 0), [4, 3, 3]);
  t.equal(counters.available(0), 10);
  counters.setQuota(0, 2);
  t.same(partitionsOf(counters, 0), [1, 1, 0], 'replaced, not added');
  counters.setQuota(0, 0);
  t.same(partitionsOf(counters, 0), [0, 0, 0]);
  t.equal(counters.available(1), 0, 'other slot untouched');
  t.equal(counters.snapshot(0).seq, 3, 'seq counts replacements');
});

t.test('exchangeQuota returns exactly the units it overwrote', async (t) => {
  const counters = StockCounters.create({ sales: 1, partitions: 2 });
  t.equal(counters.exchangeQuota(0, 7), 0);
  counters.take(0, 0);
  counters.give(0, 1, 5);
  t.equal(counters.exchangeQuota(0, 1), 7 - 1 + 5);
  t.same(partitionsOf(counters, 0), [1, 0]);
});

t.test('take: own partition first, then steal round robin from partition + 1, wrapping', async (t) => {
  const counters = StockCounters.create({ sales: 2, partitions: 3 });
  counters.setQuota(1, 3); // [1, 1, 1]
  t.equal(counters.take(1, 1), true);
  t.same(partitionsOf(counters, 1), [1, 0, 1], 'own partition first');
  t.equal(counters.take(1, 1), true);
  t.same(partitionsOf(counters, 1), [1, 0, 0], 'then partition + 1');
  t.equal(counters.take(1, 1), true);
  t.same(partitionsOf(counters, 1), [0, 0, 0], 'then wraps to partition 0');
  t.equal(counters.take(1, 1), false, 'false when empty everywhere');
  t.same(partitionsOf(counters, 1), [0, 0, 0], 'a failed take leaves zeros, never -1');

  counters.give(1, 1, 2);
  t.equal(counters.take(1, 2), true, 'partition 2 steals via 0 then 1');
  t.same(partitionsOf(counters, 1), [0, 1, 0]);
  t.equal(counters.available(0), 0, 'other slot untouched');
});

t.test('take drains exactly the quota from one partition', async (t) => {
  const counters = StockCounters.create({ sales: 1, partitions: 4 });
  counters.setQuota(0, 1001);
  let taken = 0;
  while (counters.take(0, 3)) taken++;
  t.equal(taken, 1001);
  t.equal(counters.available(0), 0);
  t.equal(counters.snapshot(0).taken, 1001, 'every take counted on the taker’s partition');
});

t.test('give: default 1, an amount, to the named partition, counted', async (t) => {
  const counters = StockCounters.create({ sales: 2, partitions: 2 });
  counters.give(0, 1);
  counters.give(0, 0, 5);
  t.same(partitionsOf(counters, 0), [5, 1]);
  const snap = counters.snapshot(0);
  t.equal(snap.given, 6);
  t.equal(snap.taken, 0);
  t.equal(counters.available(1), 0, 'other slot untouched');
});

t.test('the Int32 cap: a full partition takes its last unit and refuses to overflow', async (t) => {
  const counters = StockCounters.create({ sales: 1, partitions: 1 });
  counters.setQuota(0, layout.kMaxUnits);
  t.equal(counters.available(0), 2 ** 31 - 1);
  t.equal(counters.take(0, 0), true);
  counters.give(0, 0, 1);
  t.equal(counters.available(0), 2 ** 31 - 1, 'back at the cap');
  t.throws(() => counters.give(0, 0, 1), { code: 'ERR_SHM_OVERFLOW' });
  t.equal(counters.available(0), 2 ** 31 - 1, 'the refused give wrote nothing');
});

t.test('available sums partitions that together exceed the Int32 cap', async (t) => {
  const counters = StockCounters.create({ sales: 1, partitions: 2 });
  counters.give(0, 0, layout.kMaxUnits);
  counters.give(0, 1, layout.kMaxUnits);
  t.equal(counters.available(0), 2 * (2 ** 31 - 1));
});

t.test('open and sold-out flags are per slot', async (t) => {
  const counters = StockCounters.create({ sales: 2, partitions: 1 });
  counters.setOpen(1, true);
  t.equal(counters.isOpen(1), true);
  t.equal(counters.isOpen(0), false);
  counters.setSoldOut(0, true);
  t.equal(counters.isSoldOut(0), true);
  t.equal(counters.isSoldOut(1), false);
  counters.setOpen(1, false);
  counters.setSoldOut(0, false);
  t.equal(counters.isOpen(1), false);
  t.equal(counters.isSoldOut(0), false);
  counters.setOpen(0, true);
  counters.setSoldOut(0, true);
  const snap = counters.snapshot(0);
  t.equal(snap.open, true);
  t.equal(snap.soldOut, true);
  t.equal(counters.available(0), 0, 'flags do not touch stock');
});

t.test('snapshot while quiet is consistent and matches the other readers', async (t) => {
  const counters = StockCounters.create({ sales: 1, partitions: 3 });
  counters.setQuota(0, 8);
  counters.take(0, 2);
  counters.take(0, 2);
  counters.give(0, 0, 2);
  const snap = counters.snapshot(0);
  t.same(snap, {
    slot: 0,
    available: counters.available(0),
    partitions: [5, 3, 0],
    open: false,
    soldOut: false,
    taken: 2,
    given: 2,
    seq: 1,
    consistent: true,
  });
});

t.test('snapshot reports consistent: false while a quota replacement is in progress', async (t) => {
  const counters = StockCounters.create({ sales: 1, partitions: 2 });
  // Simulate a setQuota stuck between "writers + 1" and "writers - 1" (as another thread would be).
  const i32 = new Int32Array(counters.buffer);
  const writers = layout.kHeaderInts + layout.kWritersField;
  Atomics.add(i32, writers, 1);
  t.equal(counters.snapshot(0).consistent, false);
  Atomics.sub(i32, writers, 1);
  t.equal(counters.snapshot(0).consistent, true);
});

t.test('the packed layout (cacheLinePadding: false) behaves the same', async (t) => {
  const counters = StockCounters.create({ sales: 2, partitions: 5, cacheLinePadding: false });
  t.equal(counters.cacheLinePadding, false);
  counters.setQuota(1, 7);
  t.same(partitionsOf(counters, 1), [2, 2, 1, 1, 1]);
  let taken = 0;
  while (counters.take(1, 4)) taken++;
  t.equal(taken, 7);
  counters.give(1, 2, 3);
  t.same(partitionsOf(counters, 1), [0, 0, 3, 0, 0]);
  t.equal(counters.available(0), 0);
  const snap = counters.snapshot(1);
  t.equal(snap.taken, 7);
  t.equal(snap.given, 3);
  t.equal(StockCounters.attach(counters.buffer).available(1), 3);
});
