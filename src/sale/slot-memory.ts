/**
 * What a node's threads share about each sale slot beside the stock counters (native-free-shm): the highest
 * `ordersMade` any thread has seen, and the units each thread took from the local quota and has not settled.
 * One SharedArrayBuffer, one layout, laid out like native-free-shm's (every index is an Int32Array index):
 *
 *   header          one cache line: magic, layout version, slots, threads, slot stride, byte length
 *   slot 0          shared line: ORDERS_SEEN            (raised by any thread from a batch reply; read per
 *                                                        sold-out answer — written rarely, read often)
 *                   thread 0's line: IN_FLIGHT          (written only by thread 0, +1 and -1 per purchase)
 *                   thread 1's line: IN_FLIGHT
 *                   ...
 *   slot 1          ...
 *
 * Why a line per thread: in-flight moves twice per purchase. One shared int bounced its cache line between
 * the cores on every purchase (the threads never touch the same purchase); with a line per thread each core
 * keeps its own line, and only the main thread's reconcile (every --reconcile-ms) reads all of them.
 * Memory: 64 bytes x (1 + threads) per slot, e.g. 10,000 slots x 4 threads = 3.2 MB.
 *
 * Every access is an Atomics operation (sequentially consistent); the ordering each caller relies on is
 * written next to the method it calls.
 */

const MAGIC = 0x31535354; // 'TSS1' as a little-endian int32: not a native-free-shm buffer ('TSK1') nor a stranger's
/** Bump when any constant below changes meaning: old and new code then refuse each other's buffers. */
const LAYOUT_VERSION = 1;
const INTS_PER_LINE = 64 / Int32Array.BYTES_PER_ELEMENT;

// Header fields.
const H_MAGIC = 0;
const H_VERSION = 1;
const H_SLOTS = 2;
const H_THREADS = 3;
const H_SLOT_STRIDE = 4;
const H_BYTE_LENGTH = 5;
const HEADER_INTS = INTS_PER_LINE;

// The slot's shared line.
const ORDERS_SEEN = 0;
// A thread's line, after the shared one: threadLine(t) = INTS_PER_LINE * (1 + t).
const IN_FLIGHT = 0;

export const SLOT_MEMORY_LIMITS = { maxSlots: 1 << 20, maxThreads: 256 } as const;

export class SlotMemoryError extends Error {
  constructor(
    readonly code: 'ERR_SLOT_MEMORY_OPTIONS' | 'ERR_SLOT_MEMORY_FOREIGN' | 'ERR_SLOT_RANGE' | 'ERR_THREAD_RANGE',
    message: string,
  ) {
    super(message);
    this.name = 'SlotMemoryError';
  }
}

function stride(threads: number): number {
  return INTS_PER_LINE * (1 + threads);
}

export class SlotMemory {
  readonly i32: Int32Array;
  readonly slots: number;
  readonly threads: number;
  readonly #stride: number;

  private constructor(readonly buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer);
    this.slots = Atomics.load(this.i32, H_SLOTS);
    this.threads = Atomics.load(this.i32, H_THREADS);
    this.#stride = stride(this.threads);
  }

  /** A zeroed buffer for `slots` sales and `threads` uWS threads, with its header. */
  static create(options: { slots: number; threads: number }): SlotMemory {
    const { slots, threads } = options;
    for (const [name, value, max] of [['slots', slots, SLOT_MEMORY_LIMITS.maxSlots], ['threads', threads, SLOT_MEMORY_LIMITS.maxThreads]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > max) {
        throw new SlotMemoryError('ERR_SLOT_MEMORY_OPTIONS', `${name} must be an integer from 1 to ${max}, got ${String(value)}`);
      }
    }
    const byteLength = (HEADER_INTS + slots * stride(threads)) * Int32Array.BYTES_PER_ELEMENT;
    const buffer = new SharedArrayBuffer(byteLength);
    const i32 = new Int32Array(buffer);
    // Not shared yet: postMessage (the runtime's locks) orders these stores before another thread's reads.
    Atomics.store(i32, H_VERSION, LAYOUT_VERSION);
    Atomics.store(i32, H_SLOTS, slots);
    Atomics.store(i32, H_THREADS, threads);
    Atomics.store(i32, H_SLOT_STRIDE, stride(threads));
    Atomics.store(i32, H_BYTE_LENGTH, byteLength);
    Atomics.store(i32, H_MAGIC, MAGIC);
    return new SlotMemory(buffer);
  }

  /** A buffer another thread made with create(); anything else is refused before it is read. */
  static attach(buffer: unknown): SlotMemory {
    const headerBytes = HEADER_INTS * Int32Array.BYTES_PER_ELEMENT;
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < headerBytes) {
      throw new SlotMemoryError('ERR_SLOT_MEMORY_FOREIGN', `slot memory: expected a SharedArrayBuffer made by SlotMemory.create`);
    }
    const head = new Int32Array(buffer, 0, HEADER_INTS);
    if (Atomics.load(head, H_MAGIC) !== MAGIC || Atomics.load(head, H_VERSION) !== LAYOUT_VERSION) {
      throw new SlotMemoryError('ERR_SLOT_MEMORY_FOREIGN', 'slot memory: not made by this version of SlotMemory.create (magic or layout version differs)');
    }
    const threads = Atomics.load(head, H_THREADS);
    const slots = Atomics.load(head, H_SLOTS);
    const expected = (HEADER_INTS + slots * stride(threads)) * Int32Array.BYTES_PER_ELEMENT;
    if (Atomics.load(head, H_SLOT_STRIDE) !== stride(threads) || Atomics.load(head, H_BYTE_LENGTH) !== expected || buffer.byteLength !== expected) {
      throw new SlotMemoryError('ERR_SLOT_MEMORY_FOREIGN', `slot memory: its header does not match its ${buffer.byteLength} bytes`);
    }
    return new SlotMemory(buffer);
  }

  private line(slot: number): number {
    if (!(slot >>> 0 === slot && slot < this.slots)) {
      throw new SlotMemoryError('ERR_SLOT_RANGE', `slot must be an integer from 0 to ${this.slots - 1}, got ${String(slot)}`);
    }
    return HEADER_INTS + slot * this.#stride;
  }

  private threadLine(slot: number, thread: number): number {
    if (!(thread >>> 0 === thread && thread < this.threads)) {
      throw new SlotMemoryError('ERR_THREAD_RANGE', `thread must be an integer from 0 to ${this.threads - 1}, got ${String(thread)}`);
    }
    return this.line(slot) + INTS_PER_LINE * (1 + thread);
  }

  /**
   * Raises the slot's orders-seen count to `ordersMade` (never lowers it). A compare-and-swap loop: a lost race
   * retries with the newer value, so the count only grows. A writer raises the count before it sets the
   * sold-out flag, so a thread that sees the flag also sees the count that came with it
   * (src/node/thread/holder-index.ts: a thread's copy of the holders is current only at this count or later).
   */
  raiseOrdersSeen(slot: number, ordersMade: number): void {
    const at = this.line(slot) + ORDERS_SEEN;
    const target = Math.min(ordersMade, 0x7fffffff);
    for (;;) {
      const current = Atomics.load(this.i32, at);
      if (current >= target) return;
      if (Atomics.compareExchange(this.i32, at, current, target) === current) return;
    }
  }

  ordersSeen(slot: number): number {
    return Atomics.load(this.i32, this.line(slot) + ORDERS_SEEN);
  }

  /** A unit taken from the local quota by `thread` (right after a successful take()); only that thread writes its line. */
  addInFlight(slot: number, thread: number): void {
    Atomics.add(this.i32, this.threadLine(slot, thread) + IN_FLIGHT, 1);
  }

  /** That unit settled (kept for a new success, or given back). */
  doneInFlight(slot: number, thread: number): void {
    Atomics.sub(this.i32, this.threadLine(slot, thread) + IN_FLIGHT, 1);
  }

  /**
   * Units of the slot taken and not settled, summed over the threads (src/sale/quota.ts localTarget). Each line
   * is read atomically, the sum is not one snapshot: a purchase that starts or settles during the read is
   * counted or not — the same one-unit-per-concurrent-purchase slack applyFacts already allows (it only costs a
   * purchase that Redis answers sold out, never an oversell).
   */
  inFlight(slot: number): number {
    const first = this.line(slot) + INTS_PER_LINE;
    let sum = 0;
    for (let t = 0; t < this.threads; t++) sum += Atomics.load(this.i32, first + t * INTS_PER_LINE + IN_FLIGHT);
    return sum;
  }

  /**
   * A new Redis master (src/node/main/master-watch.ts forgetOldMaster): counts read from the old one are
   * forgotten; the re-read of every sale raises them again from what the new master has.
   */
  resetOrdersSeen(slot: number): void {
    Atomics.store(this.i32, this.line(slot) + ORDERS_SEEN, 0);
  }

  /**
   * Slot reuse only (src/node/main/slot-reset.ts): the counts belong to the sale that left; the slot's next sale
   * starts from 0 (raiseOrdersSeen never lowers, so this is the one place that does).
   */
  reset(slot: number): void {
    const first = this.line(slot);
    Atomics.store(this.i32, first + ORDERS_SEEN, 0);
    for (let t = 0; t < this.threads; t++) Atomics.store(this.i32, first + INTS_PER_LINE * (1 + t) + IN_FLIGHT, 0);
  }
}
