// Stock counters for many sales x P partitions in one SharedArrayBuffer. Lock-free, Atomics only.
//
// Memory model in one paragraph (applies to every Atomics call below unless its comment says more):
// every access to the buffer goes through Atomics, and all Atomics operations on a SharedArrayBuffer
// are sequentially consistent in JavaScript — there is no weaker ordering to pick. Seq-cst is enough
// because every invariant here is about one int32 at a time (a partition's units can never go below 0,
// each unit leaves through exactly one successful compareExchange); the only multi-field reading,
// snapshot(), does not need atomicity across fields, just a way to notice a concurrent setQuota, and
// the seq/writers fields give it that. On x86-64 a seq-cst load is a plain MOV and the read-modify-write
// operations are LOCK-prefixed instructions, so nothing cheaper would be available anyway.

import {
  amountError,
  flagError,
  overflowError,
  partitionRangeError,
  slotRangeError,
} from './errors.js';
import { readHeader, writeHeader } from './header.js';
import {
  kAvailableField,
  kGivenField,
  kHeaderInts,
  kMaxUnits,
  kOpenField,
  kPaddedPartitionStride,
  kSeqField,
  kSlotControlInts,
  kSoldOutField,
  kTakenField,
  kWritersField,
  slotStride,
} from './layout.js';
import { fillOptions, type FilledOptions, type StockCountersOptions } from './options.js';

export interface StockSnapshot {
  slot: number;
  /** Sum of `partitions`. */
  available: number;
  /** Units per partition, index = partition. */
  partitions: number[];
  open: boolean;
  soldOut: boolean;
  /** Cumulative successful takes on this slot, summed over partitions (each partition's count wraps at 2^32). */
  taken: number;
  /** Cumulative units given back on this slot, summed over partitions (each wraps at 2^32). */
  given: number;
  /** Number of finished setQuota calls on this slot so far (wraps at 2^32); changes when the quota was replaced. */
  seq: number;
  /**
   * true when no setQuota overlapped the read, so `partitions` all come from the same quota generation.
   * Takes and gives may still have run between reading one partition and the next (see snapshot()).
   */
  consistent: boolean;
}

/** How often snapshot() re-reads while setQuota keeps overlapping before it returns with consistent: false. */
const kSnapshotAttempts = 16;

export class StockCounters {
  readonly buffer: SharedArrayBuffer;
  readonly sales: number;
  readonly partitions: number;
  /** false only for buffers created with cacheLinePadding: false (benchmarks). */
  readonly cacheLinePadding: boolean;

  readonly #i32: Int32Array;
  readonly #partitionStride: number;
  readonly #slotStride: number;

  private constructor(buffer: SharedArrayBuffer, filled: FilledOptions) {
    this.buffer = buffer;
    this.sales = filled.sales;
    this.partitions = filled.partitions;
    this.cacheLinePadding = filled.partitionStride === kPaddedPartitionStride;
    this.#i32 = new Int32Array(buffer);
    this.#partitionStride = filled.partitionStride;
    this.#slotStride = slotStride(filled.partitions, filled.partitionStride);
  }

  /** Allocates a zeroed buffer (every slot closed, not sold out, no units) and writes its header. */
  static create(options: StockCountersOptions): StockCounters {
    const filled = fillOptions(options);
    const buffer = new SharedArrayBuffer(filled.byteLength);
    writeHeader(new Int32Array(buffer), filled);
    return new StockCounters(buffer, filled);
  }

  /** Maps a buffer made by create() in another thread; throws ERR_SHM_FOREIGN_BUFFER for anything else. */
  static attach(buffer: SharedArrayBuffer): StockCounters {
    return new StockCounters(buffer, readHeader(buffer));
  }

  /** Bytes create() would allocate for these options (also checks them). */
  static byteLength(options: StockCountersOptions): number {
    return fillOptions(options).byteLength;
  }

  /**
   * Takes one unit of `slot`: from `partition` first, then from the others round robin starting at
   * partition + 1. Returns false when every partition was empty at the moment it was looked at.
   */
  take(slot: number, partition: number): boolean {
    // `x >>> 0 === x` accepts exactly the integers 0..2^32-1 (NaN, 1.5, -1, '1' all fail) in one compare.
    if (!(slot >>> 0 === slot && slot < this.sales)) throw slotRangeError(slot, this.sales);
    if (!(partition >>> 0 === partition && partition < this.partitions)) {
      throw partitionRangeError(partition, this.partitions);
    }
    const i32 = this.#i32;
    const stride = this.#partitionStride;
    const n = this.partitions;
    const first = kHeaderInts + slot * this.#slotStride + kSlotControlInts;
    let p = partition;
    for (let visited = 0; visited < n; visited++) {
      const index = first + p * stride + kAvailableField;
      // A stale value is fine here: it is only the guess for the compareExchange below, which checks it.
      let current = Atomics.load(i32, index);
      while (current > 0) {
        // Why compareExchange and not Atomics.sub: sub would decrement unconditionally, so two threads
        // racing for the last unit would drive the partition to -1 and one must then add it back. In that
        // window available() and other takers see a negative count, and a setQuota (an exchange) landing
        // between the sub and the compensating add would be corrupted: the add re-creates a unit the
        // reconciler never granted. compareExchange(current, current - 1) only ever succeeds from a value
        // >= 1, so the partition never goes below 0 and each unit leaves through exactly one successful CAS.
        // ABA is harmless: the field is a count, not an identity; if setQuota rewrote it to the same value
        // in between, taking one of the new units is exactly as correct.
        const witnessed = Atomics.compareExchange(i32, index, current, current - 1);
        if (witnessed === current) {
          // Metrics only, so an add (nothing ever undoes it; wraps at 2^32, read as uint32). It goes to
          // the taker's own line, not the victim's on a steal, so it does not add a second contended line
          // to the hot path. bench/micro/take-counters.ts: take() with this add and the argument checks
          // ~22 ns vs ~14 ns for the bare CAS loop on one thread (~11 vs ~7 ns per take with 2 threads on
          // own partitions) — nanoseconds next to a request's microseconds and Redis's round trip; kept.
          Atomics.add(i32, first + partition * stride + kTakenField, 1);
          return true;
        }
        // Lost the race: someone else took, gave or set the quota. Retry with the value they left, which
        // is why this is lock-free: a failed CAS always means another thread made progress.
        current = witnessed;
      }
      p = p + 1 === n ? 0 : p + 1;
    }
    // Every partition was 0 when visited. A give() landing behind the scan is not seen; the caller treats
    // false as "none right now" (sold out locally), and Redis stays the authority either way.
    return false;
  }

  /** Gives `amount` units (default 1) back to `partition` of `slot`, e.g. after a failed Redis commit. */
  give(slot: number, partition: number, amount = 1): void {
    if (!(slot >>> 0 === slot && slot < this.sales)) throw slotRangeError(slot, this.sales);
    if (!(partition >>> 0 === partition && partition < this.partitions)) {
      throw partitionRangeError(partition, this.partitions);
    }
    if (!(amount >>> 0 === amount && amount >= 1 && amount <= kMaxUnits)) {
      throw amountError('amount', amount, 1, kMaxUnits);
    }
    const i32 = this.#i32;
    const line = kHeaderInts + slot * this.#slotStride + kSlotControlInts + partition * this.#partitionStride;
    const index = line + kAvailableField;
    let current = Atomics.load(i32, index);
    for (;;) {
      // compareExchange rather than Atomics.add so the Int32 cap is checked against the value actually
      // replaced: an add past 2^31-1 would wrap to a huge negative count, and undoing it is the same race
      // described in take(). Throwing here writes nothing, since no CAS has succeeded yet.
      if (current > kMaxUnits - amount) throw overflowError(slot, partition, current, amount, kMaxUnits);
      const witnessed = Atomics.compareExchange(i32, index, current, current + amount);
      if (witnessed === current) break;
      current = witnessed;
    }
    // Metrics only; an add is fine because nothing ever needs to undo it (wraps at 2^32, read as uint32).
    Atomics.add(i32, line + kGivenField, amount);
  }

  /**
   * Replaces the slot's units with `total`, spread evenly over the partitions (the remainder goes to the
   * lowest partitions). Safe while other threads take and give; see exchangeQuota() for what can overlap.
   */
  setQuota(slot: number, total: number): void {
    this.exchangeQuota(slot, total);
  }

  /**
   * setQuota() that returns the units it replaced (the sum of what each partition held at the instant it
   * was overwritten), so a caller can account for every unit exactly: after it, the slot holds
   * total + (gives since) - (takes since).
   *
   * Against concurrent take()/give(), partition by partition: an exchange and a CAS on the same int32 are
   * totally ordered. A take that wins before the exchange consumed one of the old units (counted neither
   * in `replaced` nor in the new total); a take after it consumes a new unit. A give before the exchange
   * is overwritten (it shows up in `replaced`); a give after it adds to the new share. What it cannot do:
   * drive a partition negative (it stores only shares >= 0 and takes only ever CAS from >= 1), let a take
   * succeed without a unit, or let one unit be taken twice. While it runs, the partitions mix old and new
   * shares, so available() may briefly show neither the old nor the new total; snapshot() detects that.
   */
  exchangeQuota(slot: number, total: number): number {
    if (!(slot >>> 0 === slot && slot < this.sales)) throw slotRangeError(slot, this.sales);
    if (!(total >>> 0 === total && total <= kMaxUnits)) throw amountError('total', total, 0, kMaxUnits);
    const i32 = this.#i32;
    const control = kHeaderInts + slot * this.#slotStride;
    const first = control + kSlotControlInts;
    const n = this.partitions;
    const share = Math.floor(total / n);
    const remainder = total % n;
    // Announce the write before touching any partition: a snapshot that loaded writers == 0 before this
    // add and re-reads writers/seq after its partition reads will see either writers > 0 or a new seq.
    Atomics.add(i32, control + kWritersField, 1);
    let replaced = 0;
    for (let p = 0; p < n; p++) {
      // exchange, not store: the value it returns is exactly what was overwritten (no take or give can
      // slip between a load and a store), which makes `replaced` exact.
      replaced += Atomics.exchange(i32, first + p * this.#partitionStride + kAvailableField, p < remainder ? share + 1 : share);
    }
    // seq before writers: a snapshot that sees writers back at 0 is then guaranteed to see the new seq.
    Atomics.add(i32, control + kSeqField, 1);
    Atomics.sub(i32, control + kWritersField, 1);
    return replaced;
  }

  /**
   * Units left in the slot, summed over partitions. Racy by design: each partition is read atomically but
   * at a slightly different instant, so under concurrent takes/gives/setQuota the sum may match no single
   * instant. It is never negative and never above what was granted plus given back. Use it for
   * decisions that tolerate staleness (metrics, "probably sold out"); Redis decides sales.
   */
  available(slot: number): number {
    if (!(slot >>> 0 === slot && slot < this.sales)) throw slotRangeError(slot, this.sales);
    const i32 = this.#i32;
    const first = kHeaderInts + slot * this.#slotStride + kSlotControlInts;
    let sum = 0;
    for (let p = 0; p < this.partitions; p++) {
      sum += Atomics.load(i32, first + p * this.#partitionStride + kAvailableField);
    }
    return sum;
  }

  setOpen(slot: number, open: boolean): void {
    if (!(slot >>> 0 === slot && slot < this.sales)) throw slotRangeError(slot, this.sales);
    if (typeof open !== 'boolean') throw flagError('open', open);
    // A plain flag: the threads only need to see it eventually and never combine it with another field,
    // so a store/load pair is enough (seq-cst makes "eventually" prompt).
    Atomics.store(this.#i32, kHeaderInts + slot * this.#slotStride + kOpenField, open ? 1 : 0);
  }

  isOpen(slot: number): boolean {
    if (!(slot >>> 0 === slot && slot < this.sales)) throw slotRangeError(slot, this.sales);
    return Atomics.load(this.#i32, kHeaderInts + slot * this.#slotStride + kOpenField) === 1;
  }

  setSoldOut(slot: number, soldOut: boolean): void {
    if (!(slot >>> 0 === slot && slot < this.sales)) throw slotRangeError(slot, this.sales);
    if (typeof soldOut !== 'boolean') throw flagError('soldOut', soldOut);
    // Same reasoning as setOpen(): a hint read on every request; a thread that misses the change for one
    // request just asks Redis, which answers "sold out" itself.
    Atomics.store(this.#i32, kHeaderInts + slot * this.#slotStride + kSoldOutField, soldOut ? 1 : 0);
  }

  isSoldOut(slot: number): boolean {
    if (!(slot >>> 0 === slot && slot < this.sales)) throw slotRangeError(slot, this.sales);
    return Atomics.load(this.#i32, kHeaderInts + slot * this.#slotStride + kSoldOutField) === 1;
  }

  /**
   * A read of the whole slot for metrics. Consistent enough means: no setQuota overlapped it (seqlock
   * style: writers == 0 before and after, seq unchanged), retried up to 16 times, else returned with
   * consistent: false. Takes and gives deliberately do not bump seq — that would put one shared, contended
   * cache line into every take() — so the partitions may still be read at slightly different instants
   * relative to takes; each value is a real value it had, and the sums are exact once threads are quiet.
   */
  snapshot(slot: number): StockSnapshot {
    if (!(slot >>> 0 === slot && slot < this.sales)) throw slotRangeError(slot, this.sales);
    const i32 = this.#i32;
    const control = kHeaderInts + slot * this.#slotStride;
    const first = control + kSlotControlInts;
    let result: StockSnapshot | undefined;
    for (let attempt = 0; attempt < kSnapshotAttempts; attempt++) {
      // Order matters (all seq-cst): seq, writers, fields, writers, seq. A setQuota is writers+1,
      // exchanges, seq+1, writers-1; if any of its exchanges fell between our first and last field read,
      // we must see writers > 0 at one end or a different seq at the other.
      const seqBefore = Atomics.load(i32, control + kSeqField);
      const writersBefore = Atomics.load(i32, control + kWritersField);
      const partitions = new Array<number>(this.partitions);
      let available = 0;
      let taken = 0;
      let given = 0;
      for (let p = 0; p < this.partitions; p++) {
        const line = first + p * this.#partitionStride;
        const units = Atomics.load(i32, line + kAvailableField);
        partitions[p] = units;
        available += units;
        // The cumulative counters wrap at 2^32; read them unsigned so a wrapped one is not negative.
        taken += Atomics.load(i32, line + kTakenField) >>> 0;
        given += Atomics.load(i32, line + kGivenField) >>> 0;
      }
      const open = Atomics.load(i32, control + kOpenField) === 1;
      const soldOut = Atomics.load(i32, control + kSoldOutField) === 1;
      const writersAfter = Atomics.load(i32, control + kWritersField);
      const seqAfter = Atomics.load(i32, control + kSeqField);
      const consistent = writersBefore === 0 && writersAfter === 0 && seqBefore === seqAfter;
      result = { slot, available, partitions, open, soldOut, taken, given, seq: seqAfter >>> 0, consistent };
      if (consistent) break;
    }
    return result as StockSnapshot;
  }
}
