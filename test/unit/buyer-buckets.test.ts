// The per-buyer token bucket of src/sale/buyer-buckets.ts: refill, burst, the wait it computes, buyers kept
// apart, and two real worker threads over one real SharedArrayBuffer never admitting more than the bucket holds.
import t from 'tap';
import { BuyerBuckets, retryAfterSeconds } from '../../src/sale/buyer-buckets.js';
import { nextMessage, spawnTsWorker } from '../../native-free-shm/test/fixtures/spawn.js';
import type { BucketWorkerData, BucketWorkerResult } from './fixtures/buyer-buckets-worker.js';

const T0 = 1_700_000_000_000; // ms, a real-looking clock: times are kept modulo 2^32 µs

/** Takes until refused at one instant; returns how many were admitted (and the refusal's wait). */
function drain(b: BuyerBuckets, buyer: string, nowMs: number): { admitted: number; wait: number } {
  for (let admitted = 0; admitted < 10_000; admitted++) {
    const wait = b.take(buyer, nowMs);
    if (wait > 0) return { admitted, wait };
  }
  throw new Error('never refused');
}

t.test('a full bucket admits the burst at once, then refills at the rate', async (t) => {
  const b = BuyerBuckets.create({ rate: 10, burst: 3, buckets: 1024 });
  t.same(drain(b, 'bot', T0), { admitted: 3, wait: 100_000 }, 'burst 3; the 4th waits one interval (100 ms at 10/s)');
  t.equal(b.take('bot', T0 + 40), 60_000, '40 ms later: 60 ms to wait');
  t.equal(b.take('bot', T0 + 99), 1_000, '99 ms later: 1 ms to wait');
  t.equal(b.take('bot', T0 + 100), 0, 'one interval later: one token back');
  t.equal(b.take('bot', T0 + 100), 100_000, '...and only one');
  t.same(drain(b, 'bot', T0 + 350), { admitted: 2, wait: 50_000 }, '250 ms later: 2.5 tokens back, 2 taken');
  t.same(drain(b, 'bot', T0 + 60_000), { admitted: 3, wait: 100_000 }, 'a minute idle: full again, never more than the burst');
  t.equal(b.take('alice', T0 + 60_000), 0, 'another buyer is unaffected');
});

t.test('a refused take costs the buyer nothing more', async (t) => {
  const b = BuyerBuckets.create({ rate: 2, burst: 1, buckets: 1024 });
  t.equal(b.take('bot', T0), 0);
  for (let i = 0; i < 1000; i++) b.take('bot', T0 + 100);
  t.equal(b.take('bot', T0 + 500), 0, 'a thousand refusals did not push the refill back');
});

t.test('Retry-After: whole seconds from the wait, at least 1', async (t) => {
  t.equal(retryAfterSeconds(1), 1);
  t.equal(retryAfterSeconds(1_000_000), 1);
  t.equal(retryAfterSeconds(1_000_001), 2);
  const slow = BuyerBuckets.create({ rate: 1, burst: 2, buckets: 1024 });
  t.same(drain(slow, 'bot', T0), { admitted: 2, wait: 1_000_000 }, 'at 1/s the wait is a full second');
  t.equal(retryAfterSeconds(slow.take('bot', T0 + 1)), 1, 'Retry-After 1');
});

t.test('the clock: microseconds wrap every ~71 minutes, a step back reads as a full bucket', async (t) => {
  const b = BuyerBuckets.create({ rate: 1, burst: 2, buckets: 1024 });
  t.equal(drain(b, 'bot', T0).admitted, 2);
  for (const later of [36 * 60_000, 71 * 60_000, 72 * 60_000, 5 * 3_600_000]) {
    t.equal(drain(b, 'bot', T0 + later).admitted, 2, `${later / 60_000} min idle: full, exactly the burst`);
  }
  const stepBack = T0 + 5 * 3_600_000 - 3_600_000;
  t.equal(drain(b, 'bot', stepBack).admitted, 2, 'the clock stepped back an hour: full, not locked out for an hour');
});

t.test('off (rate 0) admits everyone and takes no table', async (t) => {
  const b = BuyerBuckets.create({ rate: 0, burst: 1 });
  t.notOk(b.enabled);
  t.ok(Array.from({ length: 100 }, () => b.take('bot', T0)).every((w) => w === 0), '100 takes at one instant, all admitted');
  t.ok(b.buffer.byteLength <= 128, `${b.buffer.byteLength} bytes`);
  t.equal(BuyerBuckets.create({ rate: 5, burst: 20 }).buffer.byteLength, (16 + (1 << 20)) * 4, 'on: the default 2^20 buckets');
  t.throws(() => BuyerBuckets.create({ rate: 5, burst: 0 }), RangeError);
  t.throws(() => BuyerBuckets.create({ rate: 5, burst: 2, buckets: 1000 }), RangeError, 'buckets must be a power of two');
  t.throws(() => BuyerBuckets.create({ rate: 1, burst: 5000 }), RangeError, 'burst x interval must fit the 32-bit clock');
});

t.test('buyers spread over the table; a second view of the buffer shares the buckets', async (t) => {
  const b = BuyerBuckets.create({ rate: 1, burst: 1, buckets: 1 << 16 });
  let refused = 0;
  for (let i = 0; i < 1000; i++) if (b.take(`user${i}`, T0) !== 0) refused++;
  t.ok(refused <= 30, `1000 buyers in 65,536 buckets: ${refused} shared a bucket with an earlier one (expected ~8)`);
  const view = new BuyerBuckets(b.buffer);
  t.equal(view.take('user1', T0), 1_000_000, 'the same bucket, seen from another BuyerBuckets over the buffer');
  const other = BuyerBuckets.create({ rate: 1, burst: 1, buckets: 1 << 16 });
  t.not(other.i32[0], b.i32[0], 'each node hashes with its own seed');
});

/** Two worker threads over `buckets`' buffer, meeting at a barrier before each buyer. */
async function race(buckets: BuyerBuckets, buyers: string[], attempts: number, nowMs?: number): Promise<BucketWorkerResult[]> {
  const barrier = new SharedArrayBuffer(4);
  const data = (): BucketWorkerData => ({ buffer: buckets.buffer, barrier, threads: 2, buyers, attempts, ...(nowMs === undefined ? {} : { nowMs }) });
  const file = new URL('./fixtures/buyer-buckets-worker.ts', import.meta.url);
  const workers = [spawnTsWorker(file, data()), spawnTsWorker(file, data())];
  await Promise.all(workers.map((w) => nextMessage<string>(w)));
  const results = await Promise.all(workers.map((w) => nextMessage<BucketWorkerResult>(w)));
  await Promise.all(workers.map((w) => w.terminate()));
  return results;
}

t.test('two threads racing at one instant: each bucket admits exactly its burst', async (t) => {
  // 1,000 buyers one after the other; for each, both threads start together and try 200 takes at a frozen clock.
  const buckets = BuyerBuckets.create({ rate: 1, burst: 100, buckets: 1 << 16 });
  const buyers = Array.from({ length: 1000 }, (_, i) => `bot${i}`);
  const [a, b] = await race(buckets, buyers, 200, T0);
  const perBucket = new Map<number, number>();
  for (const [i, buyer] of buyers.entries()) {
    const bucket = buckets.bucketOf(buyer); // two buyers may share one: count by bucket
    perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + a.admitted[i] + b.admitted[i]);
  }
  t.same([...perBucket.entries()].filter(([, n]) => n !== 100), [], `each of ${perBucket.size} buckets: exactly 100`);
  const shared = buyers.filter((_, i) => a.admitted[i] > 0 && b.admitted[i] > 0).length;
  t.comment(`both threads got tokens from the same bucket for ${shared} of 1000 buyers (fewer when the machine is busy)`);
});

t.test('two threads hammering one bucket on the real clock: never more than burst + rate x time', async (t) => {
  // 100,000/s: a token every 10 µs, so both threads write the bucket all the time (a lost update would show).
  // The clock moves in whole milliseconds: the burst holds more than a millisecond's tokens, so none is lost.
  const buckets = BuyerBuckets.create({ rate: 100_000, burst: 200, buckets: 1024 });
  const [a, b] = await race(buckets, ['bot'], 1_500_000);
  const admitted = a.admitted[0] + b.admitted[0];
  const spanMs = Math.max(a.lastMs, b.lastMs) - Math.min(a.firstMs, b.firstMs);
  const most = 200 + spanMs * 100;
  t.ok(admitted <= most, `${admitted} admitted over ${spanMs} ms of clock readings (at most ${most})`);
  // Not a share of the most: a busy machine deschedules both threads, and a full bucket drops what accrues meanwhile.
  t.ok(admitted > 200, `and the refill worked: more than the burst of 200 (${admitted})`);
  t.comment(`thread split: ${a.admitted[0]} + ${b.admitted[0]}`);
});
