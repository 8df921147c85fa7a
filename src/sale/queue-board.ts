import { QUEUE_WAIT_BUCKETS as WAIT_BUCKETS } from '../metrics/queue-metrics.js';

/**
 * A node's mirror of one sale's waiting room, in one SharedArrayBuffer made by the main thread (src/node/main/
 * queue-keeper.ts is its only writer of the line's state) and read by every uWS thread: a position poll is a
 * signature check and a few loads from here — no Redis call.
 *
 * Layout:
 *  - Int32 header: flags (on, opened, sold out, key known), served, line length, pre-queue count, pass seconds,
 *    the liveness epoch, the permutation key (4 words), the checkpoint count; counters the threads add to
 *    (passes used, expired passes refused, polls, waits by bucket).
 *  - Float64: opensAt (ms), the admission rate (places/s) the wait is estimated from.
 *  - Checkpoints, a ring of CHECKPOINTS: (served, Redis ms) each time the serving position moved — when a place was
 *    admitted, so a pass expires passSeconds after its buyer's turn on every node alike (within a tick).
 *  - Admitted: one bitmap of LIVE_PLACES places, bit p = place p was admitted (the tick's reply says which were).
 *  - Liveness: three bitmaps of LIVE_PLACES places (a place p is bit p mod LIVE_PLACES): a poll sets its place's
 *    bit in the current one; "polled lately" is current | previous; the third is cleared before it becomes current.
 *
 * Memory ordering (every access is an Atomics operation, so sequentially consistent):
 *  - the key words are stored before the flag KEY_KNOWN, under a sequence count (odd while they change): a reader
 *    that loads the flag set reads the whole key, and one that races a new key reads again.
 *  - a checkpoint's two values are stored before the count that publishes it; a reader loads the count first. A
 *    reader slower than CHECKPOINTS writes could read a slot being rewritten: the ring covers minutes, a thread
 *    never stalls that long, and the worst would be one pass's expiry off by the difference.
 *  - epochs: the main thread clears the next bitmap, then stores epoch + 1. A thread that loaded the old epoch
 *    marks the old current one, which stays counted as "previous" for a whole epoch: no poll is lost.
 *  - a range's admitted bits are stored before the position that passes it; a reader that loads the position and
 *    finds a place below it reads its bit as the keeper left it.
 *  - served, line, flags are single words, each complete when read; a stale one only delays a pass by a tick.
 */
export const LIVE_PLACES = 1 << 21;
const LIVE_WORDS = LIVE_PLACES / 32;
const CHECKPOINTS = 2048;

const F_ON = 1;
const F_OPENED = 2;
const F_SOLD_OUT = 4;
const F_KEY = 8;

const H_FLAGS = 0;
const H_SERVED = 1;
const H_LINE = 2;
const H_PRE = 3;
const H_PASS_SECONDS = 4;
const H_EPOCH = 5;
const H_KEY = 6; // 4 words
const H_CHECKPOINTS = 10;
const H_KEY_SEQ = 11;
const C_USED = 16;
const C_EXPIRED = 17;
const C_POLLS = 18;
const C_WAIT = 20; // WAIT_BUCKETS.length + 1
const HEADER_INTS = 32;

const D_OPENS_AT = 0;
const D_RATE = 1;
const DOUBLES = 4;

const DOUBLES_AT = HEADER_INTS * 4;
const SERVED_AT = DOUBLES_AT + DOUBLES * 8;
const TIMES_AT = SERVED_AT + CHECKPOINTS * 4;
const LIVE_AT = TIMES_AT + CHECKPOINTS * 8;
const ADMITTED_AT = LIVE_AT + 3 * LIVE_WORDS * 4;
const BYTES = ADMITTED_AT + LIVE_WORDS * 4;

/** What the keeper learned from Redis's tick (src/sale/queue-scripts.ts QueueTick), in the board's terms. */
export interface QueueLineState {
  on: boolean;
  opened: boolean;
  soldOut: boolean;
  served: number;
  line: number;
  pre: number;
  key: string;
  passSeconds: number;
  opensAt: number;
  /** Places per second the line moves at, for the wait estimate. */
  rate: number;
}

export class QueueBoard {
  private readonly head: Int32Array;
  private readonly doubles: Float64Array;
  private readonly servedTo: Int32Array;
  private readonly times: Float64Array;
  private readonly live: Int32Array;
  private readonly admitted: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    if (buffer.byteLength !== BYTES) throw new RangeError('queue board: not a buffer made by QueueBoard.create');
    this.head = new Int32Array(buffer, 0, HEADER_INTS);
    this.doubles = new Float64Array(buffer, DOUBLES_AT, DOUBLES);
    this.servedTo = new Int32Array(buffer, SERVED_AT, CHECKPOINTS);
    this.times = new Float64Array(buffer, TIMES_AT, CHECKPOINTS);
    this.live = new Int32Array(buffer, LIVE_AT, 3 * LIVE_WORDS);
    this.admitted = new Int32Array(buffer, ADMITTED_AT, LIVE_WORDS);
  }

  /**
   * ~790 KB: the liveness bitmaps are most of it. Made only for a sale with a waiting room, switched on as its
   * config says from the start: a purchase before the keeper's first tick already needs its pass.
   */
  static create(config: { on: boolean; opensAt: number; passSeconds: number }): QueueBoard {
    const board = new QueueBoard(new SharedArrayBuffer(BYTES));
    board.publish({ on: config.on, opened: false, soldOut: false, served: 0, line: 0, pre: 0, key: '', passSeconds: config.passSeconds, opensAt: config.opensAt, rate: 0 });
    return board;
  }

  // ---- the main thread (the keeper) ----

  publish(s: QueueLineState): void {
    const h = this.head;
    if (s.key !== '' && ((Atomics.load(h, H_FLAGS) & F_KEY) === 0 || this.key() !== s.key)) {
      // A new key (the opening; or a Redis that lost the first one made another): its words under a sequence
      // count, odd while they change, so a reader never takes half of one key and half of the other.
      const key = Buffer.from(s.key, 'hex');
      Atomics.add(h, H_KEY_SEQ, 1);
      for (let i = 0; i < 4; i++) Atomics.store(h, H_KEY + i, key.readInt32LE(i * 4));
      Atomics.add(h, H_KEY_SEQ, 1);
    }
    Atomics.store(h, H_PRE, s.pre);
    Atomics.store(h, H_LINE, s.line);
    Atomics.store(h, H_PASS_SECONDS, s.passSeconds);
    // Float64 has no Atomics: opensAt never changes after the first publish and the rate is an estimate.
    this.doubles[D_OPENS_AT] = s.opensAt;
    this.doubles[D_RATE] = s.rate;
    Atomics.store(h, H_SERVED, s.served);
    const flags = (s.on ? F_ON : 0) | (s.opened ? F_OPENED : 0) | (s.soldOut ? F_SOLD_OUT : 0) | (s.key !== '' ? F_KEY : 0);
    Atomics.store(h, H_FLAGS, flags);
  }

  /** The serving position reached `served` at `at` (Redis ms). Only when it moved. */
  checkpoint(served: number, at: number): void {
    const n = Atomics.load(this.head, H_CHECKPOINTS);
    if (n > 0 && Atomics.load(this.servedTo, (n - 1) % CHECKPOINTS) >= served) return;
    const slot = n % CHECKPOINTS;
    this.times[slot] = at; // published by the count below (a reader never reads past the count)
    Atomics.store(this.servedTo, slot, served);
    Atomics.store(this.head, H_CHECKPOINTS, n + 1);
  }

  /**
   * Which places from `from` (a multiple of 8) up to `upTo` were admitted (bit j of `bits`, MSB first = place from + j);
   * the rest of that range was skipped. Written before the position that passes them is published.
   */
  markAdmitted(from: number, bits: Buffer, upTo: number): void {
    for (let place = from; place < upTo; place++) {
      const j = place - from;
      const p = place % LIVE_PLACES;
      const mask = 1 << (p & 31);
      if (((bits[j >>> 3] ?? 0) & (128 >>> (j & 7))) !== 0) Atomics.or(this.admitted, p >>> 5, mask);
      else Atomics.and(this.admitted, p >>> 5, ~mask);
    }
  }

  /** A new liveness epoch: the oldest bitmap is cleared, then becomes current; the current one becomes previous. */
  rotate(): void {
    const e = Atomics.load(this.head, H_EPOCH);
    const next = (e + 1) % 3;
    this.live.fill(0, next * LIVE_WORDS, (next + 1) * LIVE_WORDS);
    Atomics.store(this.head, H_EPOCH, e + 1);
  }

  /** Places from `base` (a multiple of 8) on, `count` of them, polled lately: bit j = place base + j, MSB first. */
  liveBits(base: number, count: number): Buffer {
    const out = Buffer.alloc(Math.ceil(count / 8));
    const e = Atomics.load(this.head, H_EPOCH);
    const cur = (e % 3) * LIVE_WORDS;
    const prev = ((e + 2) % 3) * LIVE_WORDS;
    for (let j = 0; j < count; j++) {
      const p = (base + j) % LIVE_PLACES;
      const word = p >>> 5;
      const bitMask = 1 << (p & 31);
      if (((Atomics.load(this.live, cur + word) | Atomics.load(this.live, prev + word)) & bitMask) !== 0) out[j >>> 3] |= 128 >>> (j & 7);
    }
    return out;
  }

  counters(): { used: number; expired: number; polls: number; waits: number[] } {
    const h = this.head;
    const waits: number[] = [];
    for (let i = 0; i <= WAIT_BUCKETS.length; i++) waits.push(Atomics.load(h, C_WAIT + i));
    return { used: Atomics.load(h, C_USED), expired: Atomics.load(h, C_EXPIRED), polls: Atomics.load(h, C_POLLS), waits };
  }

  // ---- the threads ----

  get on(): boolean {
    return (Atomics.load(this.head, H_FLAGS) & F_ON) !== 0;
  }

  read(): { on: boolean; opened: boolean; soldOut: boolean; keyKnown: boolean; served: number; line: number; pre: number; passSeconds: number; opensAt: number; rate: number } {
    const h = this.head;
    const flags = Atomics.load(h, H_FLAGS);
    return {
      on: (flags & F_ON) !== 0,
      opened: (flags & F_OPENED) !== 0,
      soldOut: (flags & F_SOLD_OUT) !== 0,
      keyKnown: (flags & F_KEY) !== 0,
      served: Atomics.load(h, H_SERVED),
      line: Atomics.load(h, H_LINE),
      pre: Atomics.load(h, H_PRE),
      passSeconds: Atomics.load(h, H_PASS_SECONDS),
      opensAt: this.doubles[D_OPENS_AT],
      rate: this.doubles[D_RATE],
    };
  }

  /** The permutation key (32 hex); call only after read() said keyKnown. */
  key(): string {
    const b = Buffer.alloc(16);
    for (;;) {
      const seq = Atomics.load(this.head, H_KEY_SEQ);
      if ((seq & 1) !== 0) continue; // the keeper is writing a new key: four stores, a moment
      for (let i = 0; i < 4; i++) b.writeInt32LE(Atomics.load(this.head, H_KEY + i), i * 4);
      if (Atomics.load(this.head, H_KEY_SEQ) === seq) return b.toString('hex');
    }
  }

  /** A place below the serving position was admitted (else skipped: its buyer was not polling at their turn). */
  wasAdmitted(place: number): boolean {
    const p = place % LIVE_PLACES;
    return (Atomics.load(this.admitted, p >>> 5) & (1 << (p & 31))) !== 0;
  }

  /** A poll from the buyer at `place`: it is alive. */
  markPolled(place: number): void {
    const e = Atomics.load(this.head, H_EPOCH);
    const p = place % LIVE_PLACES;
    Atomics.or(this.live, (e % 3) * LIVE_WORDS + (p >>> 5), 1 << (p & 31));
    Atomics.add(this.head, C_POLLS, 1);
  }

  /**
   * When the serving position passed `place` (Redis ms), as this node saw it: the first checkpoint past it. null
   * when it has not; the oldest checkpoint's time for a place admitted before the ring's memory.
   */
  admittedAt(place: number): number | null {
    const n = Atomics.load(this.head, H_CHECKPOINTS);
    if (n === 0 || Atomics.load(this.servedTo, (n - 1) % CHECKPOINTS) <= place) return null;
    let lo = Math.max(0, n - CHECKPOINTS);
    let hi = n - 1; // servedTo[hi] > place; find the first such
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Atomics.load(this.servedTo, mid % CHECKPOINTS) > place) hi = mid;
      else lo = mid + 1;
    }
    return this.times[lo % CHECKPOINTS];
  }

  passUsed(waitSeconds: number): void {
    Atomics.add(this.head, C_USED, 1);
    let i = 0;
    while (i < WAIT_BUCKETS.length && waitSeconds > WAIT_BUCKETS[i]) i++;
    Atomics.add(this.head, C_WAIT + i, 1);
  }

  passExpired(): void {
    Atomics.add(this.head, C_EXPIRED, 1);
  }
}
