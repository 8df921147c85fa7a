import { randomInt } from 'node:crypto';

/** How long a buyer must wait, in microseconds; 0 = admitted. */
export interface BuyerLimit {
  take(buyer: string): number;
}

export interface BuyerBucketOptions {
  /** Purchases a second each buyer's bucket refills; 0 = no limit (take always admits). */
  rate: number;
  /** Purchases a full bucket admits at once (>= 1). */
  burst: number;
  /** Buckets in the table, a power of two (default 2^20: 4 MiB, ~1 other buyer per bucket at a million buyers). */
  buckets?: number;
}

/** Header ints: [0] seed, [1] interval (µs per purchase, 0 = off), [2] tolerance (µs), [3] mask; padded to 64 bytes. */
const HEADER = 16;
const SEED = 0;
const INTERVAL = 1;
const TOLERANCE = 2;
const MASK = 3;
export const DEFAULT_BUYER_BUCKETS = 1 << 20;
/**
 * How far a TAT may be ahead of a thread's clock reading beyond b x T and still be believed: another thread
 * may have read Date.now() a little later and advanced the bucket from there before this one loads it.
 */
const SKEW_US = 1_000_000;

/**
 * A token bucket per buyer, for all uWS threads of a node, in one SharedArrayBuffer: no Redis, no lock, no
 * message. Buyers are hashed (seeded per node, so ids cannot be chosen to land on someone's bucket) into a
 * fixed table; a collision only makes two buyers share one bucket.
 *
 * Each bucket is ONE Int32: the GCRA form of a token bucket (the "theoretical arrival time", TAT). A bucket
 * with `b` tokens refilling `r`/s is the same as: admit at `now` when TAT - now <= (b - 1) x T, T = 1/r, and
 * then TAT = max(TAT, now) + T. A full bucket is any TAT in the past. Times are microseconds of Date.now(),
 * kept modulo 2^32 and compared by their signed 32-bit difference (valid for differences below ~35 minutes):
 * a TAT is never more than b x T (< 2^31 µs, src/rules BUYER_BURST) ahead of the clock (plus SKEW_US for a
 * thread whose clock reading is a little older than another's), so a difference outside that means the bucket
 * is idle (in the past, or wrapped round) — or the clock stepped back — and is read as full. A refused take
 * writes nothing.
 */
export class BuyerBuckets implements BuyerLimit {
  readonly i32: Int32Array;
  private readonly seed: number;
  private readonly interval: number;
  private readonly tolerance: number;
  private readonly mask: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer);
    // Written once by create() before the buffer went to any thread (workerData: the write happens-before the
    // thread starts), never again: plain reads, cached.
    this.seed = this.i32[SEED]!;
    this.interval = this.i32[INTERVAL]!;
    this.tolerance = this.i32[TOLERANCE]!;
    this.mask = this.i32[MASK]!;
  }

  static create(options: BuyerBucketOptions): BuyerBuckets {
    const { rate, burst } = options;
    if (!Number.isInteger(rate) || rate < 0) throw new RangeError(`BuyerBuckets: rate must be a whole number >= 0, got ${rate}`);
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`BuyerBuckets: burst must be a whole number >= 1, got ${burst}`);
    const buckets = rate === 0 ? 1 : (options.buckets ?? DEFAULT_BUYER_BUCKETS);
    if (!Number.isInteger(buckets) || buckets < 1 || (buckets & (buckets - 1)) !== 0 || buckets > 1 << 26) {
      throw new RangeError(`BuyerBuckets: buckets must be a power of two up to 2^26, got ${buckets}`);
    }
    const interval = rate === 0 ? 0 : Math.max(1, Math.round(1_000_000 / rate));
    if (burst * interval + SKEW_US >= 2 ** 31) throw new RangeError(`BuyerBuckets: burst x (1 s / rate) must stay below 2^31 µs (${burst} at ${rate}/s)`);
    const buffer = new SharedArrayBuffer((HEADER + buckets) * Int32Array.BYTES_PER_ELEMENT);
    const header = new Int32Array(buffer, 0, HEADER);
    header[SEED] = randomInt(2 ** 31);
    header[INTERVAL] = interval;
    header[TOLERANCE] = (burst - 1) * interval;
    header[MASK] = buckets - 1;
    return new BuyerBuckets(buffer);
  }

  /** The buyer's bucket (an index into the table). */
  bucketOf(buyer: string): number {
    return hashOf(buyer, this.seed) & this.mask;
  }

  get enabled(): boolean {
    return this.interval !== 0;
  }

  /**
   * Takes one token from the buyer's bucket: 0 when admitted, else how many microseconds until a take would
   * be admitted. `nowMs` is for tests; the hot path uses Date.now() (every thread of the process reads the
   * same clock).
   *
   * Memory ordering: the bucket is one Int32, so there is no pair of fields to tear. Atomics.load and
   * Atomics.compareExchange are sequentially consistent: the CAS stores the new TAT only if the bucket still
   * holds the TAT this take decided on; a take that lost the race to another thread re-reads the newer TAT
   * and decides again. Every admitted take therefore advanced the TAT by exactly T from the value the one
   * before it left, in one total order — the same count a single-threaded bucket would admit (never more than
   * `burst` at one instant). A refused take does not write, so a flood of refusals costs no cache-line
   * traffic beyond the load.
   */
  take(buyer: string, nowMs?: number): number {
    const interval = this.interval;
    if (interval === 0) return 0; // before the clock is read: off costs nothing
    if (nowMs === undefined) nowMs = Date.now();
    const i32 = this.i32;
    const index = HEADER + (hashOf(buyer, this.seed) & this.mask);
    const now = (nowMs * 1000) | 0; // µs modulo 2^32 (exact: nowMs * 1000 < 2^53)
    const tolerance = this.tolerance;
    for (;;) {
      const tat = Atomics.load(i32, index);
      let ahead = (tat - now) | 0;
      if (ahead < 0 || ahead > tolerance + interval + SKEW_US) ahead = 0; // a full bucket (idle, wrapped, or the clock stepped back)
      if (ahead > tolerance) return ahead - tolerance;
      if (Atomics.compareExchange(i32, index, tat, (now + ahead + interval) | 0) === tat) return 0;
    }
  }
}

/** The HTTP Retry-After (whole seconds, at least 1) of a wait in microseconds. */
export function retryAfterSeconds(waitUs: number): number {
  return Math.max(1, Math.ceil(waitUs / 1_000_000));
}

/** FNV-1a over the UTF-16 code units from a per-node seed, then murmur3's finaliser to spread the low bits. */
function hashOf(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
