import siphash24 from 'siphash24';

/**
 * The pre-queue's order: a keyed permutation of [0, n), place = placeOf(arrival). The key is made at opensAt
 * (lua/queue-tick-4.lua writes the first tick's random key), so before the opening nobody — operator, node or
 * buyer — can tell which arrival gets which place, and after it every node computes a buyer's place from the key
 * alone: one write at the opening, none per buyer.
 *
 * A balanced Feistel network over 2h bits (4^h >= n) with SipHash-2-4 as the round function, 6 rounds (4 make a
 * strong pseudo-random permutation, Luby-Rackoff), and cycle walking: a value that lands at or past n is
 * encrypted again until it lands inside, which keeps a bijection of [0, n) (4^h < 4n: under 4 walks on average).
 */
const ROUNDS = 6;

export class QueueOrder {
  private readonly key: Uint8Array;
  private readonly half: number;
  private readonly mask: number;
  private readonly input = new Uint8Array(8);
  private readonly out = new Uint8Array(8);

  /** `keyHex`: 32 hex characters (16 bytes); `n`: the pre-queue's final count. */
  constructor(keyHex: string, readonly n: number) {
    if (!/^[0-9a-f]{32}$/i.test(keyHex)) throw new Error('a queue order key is 32 hex characters');
    if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 31) throw new Error('a pre-queue holds 0..2^31 joiners');
    this.key = Buffer.from(keyHex, 'hex');
    let h = 1;
    while (4 ** h < n) h++;
    this.half = h;
    this.mask = 2 ** h - 1;
  }

  /** The place of the pre-queue's arrival-th joiner (0-based). */
  placeOf(arrival: number): number {
    if (!Number.isInteger(arrival) || arrival < 0 || arrival >= this.n) throw new RangeError(`arrival ${arrival} is outside the pre-queue of ${this.n}`);
    let v = arrival;
    do v = this.encrypt(v);
    while (v >= this.n);
    return v;
  }

  private encrypt(v: number): number {
    let left = Math.floor(v / 2 ** this.half);
    let right = v & this.mask;
    for (let round = 0; round < ROUNDS; round++) {
      const next = (left ^ this.round(round, right)) & this.mask;
      left = right;
      right = next;
    }
    return left * 2 ** this.half + right;
  }

  private round(round: number, value: number): number {
    const input = this.input;
    input[0] = round;
    input[1] = value & 0xff;
    input[2] = (value >>> 8) & 0xff;
    input[3] = (value >>> 16) & 0xff;
    input[4] = (value >>> 24) & 0xff;
    const out = siphash24(input, this.key, this.out, true);
    return (out[0] | (out[1] << 8) | (out[2] << 16) | (out[3] << 24)) >>> 0;
  }
}
