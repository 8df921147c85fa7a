/**
 * Who may hold something in one sold-out sale, as a Bloom filter in a SharedArrayBuffer: one per sale per node,
 * written by the main thread (src/node/main/holder-sync.ts) from the sale's holder log, read by every uWS thread
 * (src/node/thread/holder-index.ts) without a copy. An entry is a user or an idempotency record's field
 * "<user> <key>" (the two never collide: a user has no space). A false "maybe" sends a buyer who holds nothing to
 * Redis, which answers "sold out" itself; there is no false "no" — so its size bounds only how often that
 * happens (~0.5 % at capacity), and a filter that outgrows its capacity is replaced by a bigger one.
 *
 * Layout (Int32 words): [0] SYNCED, the sale's ordersMade the filter is complete up to (-1: not yet);
 * [1] CAPACITY, entries it was sized for; [2] MASK_BITS, log2 of its bit count; then padding to 64 bytes (the
 * header's cache line is read on every check, the bits are written while threads read: kept apart); then the
 * bits.
 *
 * Memory ordering: the main thread sets an entry's bits with Atomics.or and only then publishes SYNCED with
 * Atomics.store; a thread loads SYNCED with Atomics.load before it reads any bit (Atomics.load too). All are
 * sequentially consistent, so a thread that reads SYNCED = n sees every bit set before n was published: the
 * filter is complete for every order up to n. Bits set after (for later orders) may or may not be seen — a
 * thread that sees fewer is no worse off, since an order made after n is known to be missing (SlotMemory.ordersSeen
 * tells the thread there are orders past n, and it then asks Redis).
 */
const SYNCED = 0;
const CAPACITY = 1;
const LOG2_BITS = 2;
/** Bits start at word 16: the header and its padding fill one 64-byte cache line. */
const BITS_AT = 16;
/** Bits per entry at capacity, and probes per entry: (1 - e^(-5/12))^5 ≈ 0.46 % false "maybe". */
const BITS_PER_ENTRY = 12;
const PROBES = 5;
const MIN_CAPACITY = 1024;
/** 2^31 bits: masks stay within a positive 32-bit index. */
const MAX_LOG2_BITS = 31;

export class HolderFilter {
  private readonly i32: Int32Array;
  private readonly bitMask: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer);
    const log2 = this.i32[LOG2_BITS];
    if (!(log2 >= 5 && log2 <= MAX_LOG2_BITS) || buffer.byteLength !== (BITS_AT + 2 ** (log2 - 5)) * 4) {
      throw new RangeError(`HolderFilter: a buffer of ${buffer.byteLength} bytes with log2 bits ${log2} is not a holder filter`);
    }
    this.bitMask = 2 ** log2 - 1;
  }

  /** An empty filter for `capacity` entries (at least 1,024), SYNCED -1. */
  static create(capacity: number): HolderFilter {
    const entries = Math.max(MIN_CAPACITY, Math.ceil(capacity));
    const log2 = Math.min(MAX_LOG2_BITS, Math.ceil(Math.log2(entries * BITS_PER_ENTRY)));
    const buffer = new SharedArrayBuffer((BITS_AT + 2 ** (log2 - 5)) * 4);
    const header = new Int32Array(buffer, 0, BITS_AT);
    header[SYNCED] = -1;
    header[CAPACITY] = Math.min(entries, 0x7fffffff);
    header[LOG2_BITS] = log2;
    return new HolderFilter(buffer);
  }

  get capacity(): number {
    return this.i32[CAPACITY];
  }

  get bytes(): number {
    return this.buffer.byteLength;
  }

  /** ordersMade the filter is complete up to; -1 before the first publish. */
  get synced(): number {
    return Atomics.load(this.i32, SYNCED);
  }

  /** Main thread only. */
  add(entry: string): void {
    hash(entry);
    const h1 = hashed[0];
    const h2 = hashed[1];
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.bitMask;
      Atomics.or(this.i32, BITS_AT + (bit >>> 5), 1 << (bit & 31));
    }
  }

  /** Main thread only: every entry added so far is in for orders up to `ordersMade` (see the class comment). */
  publish(ordersMade: number): void {
    Atomics.store(this.i32, SYNCED, Math.min(ordersMade, 0x7fffffff));
  }

  /** False: certainly never added. True: added, or a false "maybe". */
  has(entry: string): boolean {
    hash(entry);
    const h1 = hashed[0];
    const h2 = hashed[1];
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.bitMask;
      if ((Atomics.load(this.i32, BITS_AT + (bit >>> 5)) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** hash()'s result, reused: the check runs on every sold-out answer and allocates nothing. */
const hashed = new Uint32Array(2);

/**
 * Two 32-bit hashes of the entry's UTF-16 code units in one pass (FNV-1a, and a multiply-xorshift with another
 * seed), for double hashing h1 + i*h2; h2 is odd, so its probes walk the whole power-of-two table.
 */
function hash(entry: string): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < entry.length; i++) {
    const c = entry.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b ^= b >>> 13;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  hashed[0] = a;
  hashed[1] = b | 1;
}
