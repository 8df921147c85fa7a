// attach(): the same memory from another thread, and a clear refusal of any buffer that is not ours.

import t from 'tap';
import { ErrorCodes, StockCounters, layout } from '../src/index.js';
import { nextMessage, spawnTsWorker } from './fixtures/spawn.js';

interface AttachReport {
  sales: number;
  partitions: number;
  before: { available: number; partitions: number[]; open: boolean };
  took: boolean;
  after: { available: number; partitions: number[]; taken: number };
}

t.test('a real worker thread attaches and shares the memory both ways', async (t) => {
  const counters = StockCounters.create({ sales: 2, partitions: 3 });
  counters.setQuota(0, 5);
  counters.setOpen(0, true);
  const worker = spawnTsWorker(new URL('./fixtures/attach-worker.ts', import.meta.url), {
    buffer: counters.buffer,
    partition: 2,
  });
  const report = await nextMessage<AttachReport>(worker);
  t.equal(report.sales, 2);
  t.equal(report.partitions, 3);
  t.same(report.before.partitions, [2, 2, 1], 'the worker sees the quota set by the main thread');
  t.equal(report.before.open, true, 'and the open flag');
  t.equal(report.took, true);
  t.same(report.after.partitions, [2, 2, 0], 'its take came from its own partition');
  t.same(counters.snapshot(0).partitions, [2, 2, 0], 'the main thread sees the worker’s take');
  t.equal(counters.snapshot(0).taken, 1);
  t.same(counters.snapshot(1).partitions, [0, 0, 3], 'and its give on slot 1');
  t.equal(counters.isOpen(1), true, 'and its flag');
  await worker.terminate();
});

t.test('attach in the same thread sees the same memory', async (t) => {
  const a = StockCounters.create({ sales: 1, partitions: 2, cacheLinePadding: false });
  const b = StockCounters.attach(a.buffer);
  t.equal(b.buffer, a.buffer);
  t.equal(b.cacheLinePadding, false, 'the layout variant comes from the header');
  a.setQuota(0, 4);
  t.equal(b.take(0, 1), true);
  t.equal(a.available(0), 3);
});

/** A valid buffer's bytes in a fresh SharedArrayBuffer of `byteLength` (default: same size), then `edit`. */
function forged(edit: (i32: Int32Array) => void, byteLength?: number): SharedArrayBuffer {
  const good = StockCounters.create({ sales: 2, partitions: 3 }).buffer;
  const copy = new SharedArrayBuffer(byteLength ?? good.byteLength);
  new Uint8Array(copy).set(new Uint8Array(good).subarray(0, Math.min(good.byteLength, copy.byteLength)));
  edit(new Int32Array(copy));
  return copy;
}

t.test('foreign buffers are refused with ERR_SHM_FOREIGN_BUFFER and a message that says why', async (t) => {
  const good = StockCounters.byteLength({ sales: 2, partitions: 3 });
  const cases: [string, unknown, RegExp][] = [
    ['a plain SharedArrayBuffer of zeros', new SharedArrayBuffer(good), /magic number is 0x0, expected 0x314b5354/],
    ['a big SharedArrayBuffer of zeros', new SharedArrayBuffer(1 << 16), /magic number is 0x0/],
    ['a SharedArrayBuffer shorter than the header', new SharedArrayBuffer(8), /8 bytes long, shorter than the 64-byte header/],
    ['wrong magic', forged((i) => void (i[layout.kMagicField] = 0x12345678)), /magic number is 0x12345678/],
    ['wrong layout version', forged((i) => void (i[layout.kVersionField] = 2)), /layout version is 2, this code reads layout version 1/],
    ['wrong size (too long)', forged(() => undefined, good + 64), new RegExp(`${good + 64} bytes long .* needs exactly ${good}`)],
    ['wrong size (too short)', forged(() => undefined, good - 4), new RegExp(`${good - 4} bytes long .* needs exactly ${good}`)],
    ['sales in the header do not match the size', forged((i) => void (i[layout.kSalesField] = 3)), /slot stride|needs exactly/],
    ['partitions in the header do not match', forged((i) => void (i[layout.kPartitionsField] = 4)), /slot stride is 64, expected 80 for 4 partitions/],
    ['impossible dimensions', forged((i) => void (i[layout.kSalesField] = 0)), /impossible dimensions: options\.sales/],
    ['unknown partition stride', forged((i) => void (i[layout.kPartitionStrideField] = 8)), /partition stride is 8/],
    ['a non-shared ArrayBuffer', new ArrayBuffer(good), /expected a SharedArrayBuffer, got an ArrayBuffer/],
    ['a typed array over a good buffer', new Int32Array(StockCounters.create({ sales: 1, partitions: 1 }).buffer), /got an Int32Array/],
    ['undefined', undefined, /got undefined/],
  ];
  for (const [name, buffer, why] of cases) {
    const bytes = buffer instanceof SharedArrayBuffer ? new Uint8Array(buffer).slice() : undefined;
    const err = t.throws(() => StockCounters.attach(buffer as never), { code: ErrorCodes.FOREIGN_BUFFER }, name);
    const message = (err as Error).message;
    t.match(message, /^StockCounters\.attach\(\) refused the buffer: /, `${name}: says what refused it`);
    t.match(message, why, `${name}: says why`);
    t.match(message, /StockCounters\.create\(\)/, `${name}: says what to pass instead`);
    if (bytes && buffer instanceof SharedArrayBuffer) t.same(new Uint8Array(buffer), bytes, `${name}: attach wrote nothing`);
  }
});
