import type { SeatBoardUpdate } from './types.js';

/**
 * A node's copy of one train sale's seat book, in one SharedArrayBuffer shared by its threads: per class, the F
 * table — F[cell(l, r)] = seats of the class whose maximal free stretch is exactly [l, r) (lua/includes/seats.lua)
 * — so "seats left from a to b" is a sum over F with no Redis call:
 *
 *     left(a, b) = sum of F[cell(l, r)] for l <= a and r >= b   (a seat has at most one free stretch holding [a, b))
 *
 * Layout (Int32 indexes): a header line [magic, layout version, segments, classes, seq, bookVersion], then each
 * class's cells, segments x (segments + 1) / 2 of them, cell(l, r) = l x (2S - l + 1) / 2 + (r - l - 1).
 * 20 stations, 2 classes: 64 + 2 x 190 x 4 bytes = 1.6 KB per sale.
 *
 * Writers (a thread with a batch reply, the main thread with a status read) and readers (every availability
 * question and every train purchase) meet through a sequence lock on `seq`:
 *  - a writer takes the lock by compareExchange(seq, even, even + 1) — so two writers never interleave — writes
 *    only when its book version is newer than the stored one (replies from different threads arrive in any
 *    order; an older table must never overwrite a newer one), stores the version, and releases with seq + 2
 *    (seq back to the even value it took when it wrote nothing, so readers need not retry);
 *  - a reader loads seq (even), reads the cells, and loads seq again: equal means no write overlapped, since
 *    every access is an Atomics operation (sequentially consistent) and a writer moves seq before its first
 *    and after its last store. An odd or moved seq retries.
 * A writer that finds the lock held spins a bounded number of times and then gives up its table: the next reply
 * or the next status read (every --reconcile-ms) carries a version at least as new. A reader that cannot get a
 * clean read within its bound answers null, and the caller goes to Redis (never "sold out" on a torn read).
 */
const MAGIC = 0x31425354; // 'TSB1'
const LAYOUT_VERSION = 1;
const HEADER = 16;
const H_MAGIC = 0;
const H_LAYOUT = 1;
const H_SEGMENTS = 2;
const H_CLASSES = 3;
const H_SEQ = 4;
const H_BOOK_VERSION = 5;
const SPIN_LIMIT = 1000;

export class SeatBoard {
  readonly i32: Int32Array;
  readonly segments: number;
  readonly classes: number;
  readonly cells: number;

  private constructor(readonly buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer);
    if (buffer.byteLength < HEADER * 4 || Atomics.load(this.i32, H_MAGIC) !== MAGIC || Atomics.load(this.i32, H_LAYOUT) !== LAYOUT_VERSION) {
      throw new RangeError('seat board: not a buffer made by SeatBoard.create');
    }
    this.segments = Atomics.load(this.i32, H_SEGMENTS);
    this.classes = Atomics.load(this.i32, H_CLASSES);
    this.cells = (this.segments * (this.segments + 1)) / 2;
    if (buffer.byteLength !== (HEADER + this.classes * this.cells) * 4) throw new RangeError('seat board: its header does not match its length');
  }

  /** A board for `segments` (stations - 1) and `classes` classes, every count 0 and version 0 until the first apply. */
  static create(segments: number, classes: number): SeatBoard {
    if (!Number.isInteger(segments) || segments < 1 || segments > 63) throw new RangeError(`seat board: segments must be 1..63, got ${segments}`);
    if (!Number.isInteger(classes) || classes < 1 || classes > 64) throw new RangeError(`seat board: classes must be 1..64, got ${classes}`);
    const buffer = new SharedArrayBuffer((HEADER + classes * ((segments * (segments + 1)) / 2)) * 4);
    const i32 = new Int32Array(buffer);
    Atomics.store(i32, H_SEGMENTS, segments);
    Atomics.store(i32, H_CLASSES, classes);
    Atomics.store(i32, H_LAYOUT, LAYOUT_VERSION);
    Atomics.store(i32, H_MAGIC, MAGIC);
    return new SeatBoard(buffer);
  }

  static attach(buffer: SharedArrayBuffer): SeatBoard {
    return new SeatBoard(buffer);
  }

  cellOf(l: number, r: number): number {
    return (l * (2 * this.segments - l + 1)) / 2 + (r - l - 1);
  }

  /** The book version this board holds (0: none yet). */
  version(): number {
    return Atomics.load(this.i32, H_BOOK_VERSION);
  }

  /**
   * Writes an update whose version is newer than the board's; `classIndex` names each class's place. Returns
   * true when it wrote. Classes the update does not carry keep their cells (a batch reply carries only the
   * classes it changed, and their cells are as of its version: the others did not change in it).
   */
  apply(update: SeatBoardUpdate, classIndex: (name: string) => number): boolean {
    // Every result of a batch carries the same update: after the first, the version says so without the lock.
    if (update.version <= Atomics.load(this.i32, H_BOOK_VERSION)) return false;
    const seq = this.lock();
    if (seq < 0) return false;
    let wrote = false;
    if (update.version > Atomics.load(this.i32, H_BOOK_VERSION)) {
      for (const [name, cells] of Object.entries(update.classes)) {
        const c = classIndex(name);
        if (c < 0 || c >= this.classes || cells.length !== this.cells) continue;
        const first = HEADER + c * this.cells;
        for (let i = 0; i < this.cells; i++) Atomics.store(this.i32, first + i, cells[i]);
      }
      Atomics.store(this.i32, H_BOOK_VERSION, update.version);
      wrote = true;
    }
    Atomics.store(this.i32, H_SEQ, wrote ? seq + 2 : seq);
    return wrote;
  }

  /** Seats of class `c` free on every segment of [a, b), or null when no clean read was possible (ask Redis). */
  left(c: number, a: number, b: number): number | null {
    if (!(c >= 0 && c < this.classes && a >= 0 && a < b && b <= this.segments)) throw new RangeError(`seat board: class ${c}, [${a}, ${b}) is not on this train`);
    const first = HEADER + c * this.cells;
    for (let tries = 0; tries < SPIN_LIMIT; tries++) {
      const before = Atomics.load(this.i32, H_SEQ);
      if ((before & 1) === 1) continue;
      let n = 0;
      for (let l = 0; l <= a; l++) {
        const row = first + this.cellOf(l, l + 1) - 1 - l; // cell(l, r) = row + r
        for (let r = b; r <= this.segments; r++) n += Atomics.load(this.i32, row + r);
      }
      if (Atomics.load(this.i32, H_SEQ) === before) return n;
    }
    return null;
  }

  /**
   * A new Redis master: the board was read from the old one. Version 0 again — nothing is answered from it until
   * the new master's book is applied (any version is newer than 0).
   */
  forget(): void {
    const seq = this.lock();
    if (seq < 0) return;
    Atomics.store(this.i32, H_BOOK_VERSION, 0);
    Atomics.store(this.i32, H_SEQ, seq + 2);
  }

  /** Takes the write lock: the even seq it took, or -1 after the spin limit. */
  private lock(): number {
    for (let tries = 0; tries < SPIN_LIMIT; tries++) {
      const seq = Atomics.load(this.i32, H_SEQ);
      if ((seq & 1) === 0 && Atomics.compareExchange(this.i32, H_SEQ, seq, seq + 1) === seq) return seq;
    }
    return -1;
  }
}
