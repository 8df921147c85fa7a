// The per-buyer token bucket of src/sale/buyer-buckets.ts: refill, burst, the wait it computes, buyers kept
// apart, and two real worker threads over one real SharedArrayBuffer never admitting more than the bucket holds.
import t from 'tap';
import { BuyerBuckets, retryAfterSeconds } from '../../src/sale/buyer-buckets.js';
import { nextMessage, spawnTsWorker } from '../../native-free-shm/test/fixtures/spawn.js';
import type { BucketWorkerData } from './fixtures/buyer-buckets-worker.js';

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

async function race(buckets: BuyerBuckets, buyers: string[], attempts: number, nowMs?: number): Promise<{ counts: number[][]; ms: number }> {
  const gate = new SharedArrayBuffer(4);
  const data = (): BucketWorkerData => ({ buffer: buckets.buffer, gate, buyers, attempts, ...(nowMs === undefined ? {} : { nowMs }) });
  const workers = [spawnTsWorker(new URL('./fixtures/buyer-buckets-worker.ts', import.meta.url), data()), spawnTsWorker(new URL('./fixtures/buyer-buckets-worker.ts', import.meta.url), data())];
  await Promise.all(workers.map((w) => nextMessage<string>(w)));
  const results = workers.map((w) => nextMessage<number[]>(w));
  const started = performance.now();
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
  const counts = await Promise.all(results);
  const ms = performance.now() - started;
  await Promise.all(workers.map((w) => w.terminate()));
  return { counts, ms };
}

t.test('two threads racing on the same buckets never get more than the burst', async (t) => {
  // 1,000 buyers, 60 sweeps over all of them per thread: the threads meet on the same buckets all the time.
  const buckets = BuyerBuckets.create({ rate: 1, burst: 50, buckets: 1 << 16 });
  const buyers = Array.from({ length: 1000 }, (_, i) => `bot${i}`);
  const { counts } = await race(buckets, buyers, 60, T0);
  const perBucket = new Map<number, number>();
  let shared = 0;
  for (const [i, buyer] of buyers.entries()) {
    const bucket = buckets.bucketOf(buyer);
    perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + counts[0]![i]! + counts[1]![i]!);
    if (counts[0]![i]! > 0 && counts[1]![i]! > 0) shared++;
  }
  const wrong = [...perBucket.entries()].filter(([, n]) => n !== 50);
  t.same(wrong, [], `each of ${perBucket.size} buckets admitted exactly its burst of 50 over 120,000 takes at one instant`);
  t.ok(shared > 100, `both threads took from the same buyer's bucket for ${shared} buyers (they really raced)`);
});

t.test('two threads on the real clock: at most burst + rate x elapsed', async (t) => {
  const buckets = BuyerBuckets.create({ rate: 200, burst: 20, buckets: 1024 });
  const { counts, ms } = await race(buckets, ['bot'], 400_000);
  const both = counts[0]![0]! + counts[1]![0]!;
  // +2: the clock has millisecond steps (the elapsed time measured here brackets the workers' own).
  const most = 20 + Math.ceil((200 * ms) / 1000) + 2;
  t.ok(both <= most, `${both} admitted in ${ms.toFixed(0)} ms (at most ${most})`);
  t.ok(both >= 20, 'at least the burst');
});
