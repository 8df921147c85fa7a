// src/sale/slot-memory.ts: the per-slot state a node's threads share (orders seen, in-flight units per thread):
// the header that refuses a foreign buffer, the bounds checks, each thread's own cache line, and two real
// threads over one buffer losing no update.
import t from 'tap';
import { SlotMemory, SlotMemoryError } from '../../src/sale/slot-memory.js';
import { nextMessage, spawnTsWorker } from '../../native-free-shm/test/fixtures/spawn.js';
import type { SlotWorkerData } from './fixtures/slot-memory-worker.js';

t.test('orders seen only grows; in flight is the sum of the threads; reset zeroes one slot', async (t) => {
  const m = SlotMemory.create({ slots: 3, threads: 2 });
  m.raiseOrdersSeen(1, 5);
  m.raiseOrdersSeen(1, 3);
  t.equal(m.ordersSeen(1), 5, 'a lower count does not lower it');
  m.addInFlight(1, 0);
  m.addInFlight(1, 1);
  m.addInFlight(1, 1);
  m.addInFlight(2, 0);
  t.equal(m.inFlight(1), 3, 'both threads counted');
  m.doneInFlight(1, 1);
  t.equal(m.inFlight(1), 2);
  m.resetOrdersSeen(1);
  t.same([m.ordersSeen(1), m.inFlight(1)], [0, 2], 'a new master forgets orders seen, not the units in flight');
  m.raiseOrdersSeen(1, 9);
  m.reset(1);
  t.same([m.ordersSeen(1), m.inFlight(1), m.inFlight(2)], [0, 0, 1], 'slot reuse zeroes the slot, other slots untouched');
});

t.test('each thread writes its own cache line of a slot, and slots do not share lines', async (t) => {
  const m = SlotMemory.create({ slots: 2, threads: 3 });
  const touched = (act: () => void): number[] => {
    const before = Int32Array.from(m.i32);
    act();
    return [...m.i32.keys()].filter((i) => m.i32[i] !== before[i]);
  };
  const lines = [
    touched(() => m.raiseOrdersSeen(0, 1)),
    touched(() => m.addInFlight(0, 0)),
    touched(() => m.addInFlight(0, 1)),
    touched(() => m.addInFlight(0, 2)),
    touched(() => m.addInFlight(1, 0)),
  ].map((ints) => {
    t.equal(ints.length, 1, 'one int written');
    return Math.floor(ints[0] / 16);
  });
  t.equal(new Set(lines).size, lines.length, `five writers, five different 64-byte lines (${lines.join(', ')})`);
  t.ok(Math.min(...lines) >= 1, 'none shares the header line');
});

t.test('bad slots, threads, options and foreign buffers are refused with a code', async (t) => {
  const m = SlotMemory.create({ slots: 2, threads: 2 });
  const code = (fn: () => unknown) => {
    try {
      fn();
      return 'no error';
    } catch (err) {
      return err instanceof SlotMemoryError ? err.code : String(err);
    }
  };
  t.equal(code(() => m.addInFlight(2, 0)), 'ERR_SLOT_RANGE');
  t.equal(code(() => m.ordersSeen(-1)), 'ERR_SLOT_RANGE');
  t.equal(code(() => m.raiseOrdersSeen(0.5, 1)), 'ERR_SLOT_RANGE');
  t.equal(code(() => m.addInFlight(0, 2)), 'ERR_THREAD_RANGE');
  t.equal(code(() => SlotMemory.create({ slots: 0, threads: 1 })), 'ERR_SLOT_MEMORY_OPTIONS');
  t.equal(code(() => SlotMemory.create({ slots: 1, threads: 1.5 })), 'ERR_SLOT_MEMORY_OPTIONS');
  t.equal(code(() => SlotMemory.attach(new SharedArrayBuffer(m.buffer.byteLength))), 'ERR_SLOT_MEMORY_FOREIGN', 'zeroes: no magic');
  t.equal(code(() => SlotMemory.attach(new ArrayBuffer(1024))), 'ERR_SLOT_MEMORY_FOREIGN', 'not shared');
  const truncated = new SharedArrayBuffer(m.buffer.byteLength - 64);
  new Int32Array(truncated).set(new Int32Array(m.buffer).subarray(0, truncated.byteLength / 4));
  t.equal(code(() => SlotMemory.attach(truncated)), 'ERR_SLOT_MEMORY_FOREIGN', 'a header that does not match the length');
  t.equal(SlotMemory.attach(m.buffer).slots, 2, 'its own buffer is accepted');
});

t.test('two real threads over one buffer: no lost update', async (t) => {
  const m = SlotMemory.create({ slots: 1, threads: 2 });
  const file = new URL('./fixtures/slot-memory-worker.ts', import.meta.url);
  const rounds = 200_000;
  const workers = [0, 1].map((thread) => spawnTsWorker(file, { buffer: m.buffer, thread, rounds, keep: 3 + thread } satisfies SlotWorkerData));
  await Promise.all(workers.map((w) => nextMessage<string>(w)));
  await Promise.all(workers.map((w) => w.terminate()));
  t.equal(m.inFlight(0), 7, 'every add and settle of both threads counted: 3 + 4 left in flight');
  t.equal(m.ordersSeen(0), (rounds - 1) * 2 + 1, 'orders seen is the highest either thread raised it to');
});
