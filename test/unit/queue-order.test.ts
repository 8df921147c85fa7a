// src/sale/queue-order.ts: the pre-queue's keyed permutation. It must be a bijection of [0, n) (everyone gets a
// place, nobody shares one), look uniform over keys (no arrival is favoured), and tell nothing without the key.
//
// The statistical tests run over a fixed set of keys, derived deterministically (sha256 of a label and a counter),
// not crypto.randomBytes: the test is reproducible and cannot flake. A fixed key set passes or fails the same way
// every run; with a sound permutation a chi-square over it lands above the p = 0.001 value with probability 0.001,
// and the set used here is known to pass.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { QueueOrder } from '../../src/sale/queue-order.js';

const keyOf = (label: string, i: number) => createHash('sha256').update(`${label}:${i}`).digest('hex').slice(0, 32);
const keys = (label: string, count: number) => Array.from({ length: count }, (_, i) => keyOf(label, i));

/** Pearson's chi-square of observed counts against one expected count per cell. */
const chiSquare = (observed: ArrayLike<number>, expected: number) => {
  let sum = 0;
  for (let i = 0; i < observed.length; i++) sum += (observed[i] - expected) ** 2 / expected;
  return sum;
};

t.test('a bijection of [0, n): every place hit exactly once', async (t) => {
  for (const n of [1, 2, 3, 7, 64, 1000, 4097, 100_000]) {
    const order = new QueueOrder(keyOf('bijection', n), n);
    const hits = new Uint8Array(n);
    let outside = 0;
    for (let a = 0; a < n; a++) {
      const p = order.placeOf(a);
      if (!Number.isInteger(p) || p < 0 || p >= n) outside++;
      else hits[p]++;
    }
    t.equal(outside, 0, `n = ${n}: every place inside [0, n)`);
    t.ok(hits.every((h) => h === 1), `n = ${n}: every place once`);
  }
});

t.test('the same key and n give the same places on every node; the key is case-blind', async (t) => {
  const key = keyOf('nodes', 0);
  const a = new QueueOrder(key, 5000);
  const b = new QueueOrder(key.toUpperCase(), 5000);
  const sample = [0, 1, 2, 999, 2500, 4999];
  t.same(sample.map((x) => a.placeOf(x)), sample.map((x) => b.placeOf(x)));
  t.same(sample.map((x) => a.placeOf(x)), sample.map((x) => a.placeOf(x)), 'placeOf has no state between calls');
});

t.test('the largest pre-queue: 2^31 joiners, places inside and distinct', async (t) => {
  const n = 2 ** 31;
  const order = new QueueOrder(keyOf('big', 0), n);
  const sample = [0, 1, 2, 65_535, 65_536, 2 ** 30, n - 2, n - 1];
  const places = sample.map((a) => order.placeOf(a));
  t.ok(places.every((p) => Number.isInteger(p) && p >= 0 && p < n), `inside [0, 2^31): ${places.join(', ')}`);
  t.equal(new Set(places).size, sample.length, 'distinct');
});

t.test('the constructor refuses a bad key or a bad n; placeOf refuses an arrival outside [0, n)', async (t) => {
  const good = keyOf('refuse', 0);
  for (const [what, key] of [
    ['empty', ''],
    ['31 hex', good.slice(1)],
    ['33 hex', `${good}0`],
    ['64 hex', good + good],
    ['a non-hex character', `g${good.slice(1)}`],
    ['a 0x prefix', `0x${good.slice(2)}`],
    ['spaces', ` ${good.slice(1)}`],
  ] as const) {
    t.throws(() => new QueueOrder(key, 10), /32 hex/, `key: ${what}`);
  }
  for (const n of [-1, 1.5, 2 ** 31 + 1, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => new QueueOrder(good, n), /0\.\.2\^31/, `n = ${n}`);
  }
  const empty = new QueueOrder(good, 0);
  t.throws(() => empty.placeOf(0), RangeError, 'an empty pre-queue has no arrival 0');
  const order = new QueueOrder(good, 10);
  for (const a of [-1, 10, 11, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => order.placeOf(a), RangeError, `arrival ${a}`);
  }
  t.doesNotThrow(() => [0, 9].map((a) => order.placeOf(a)), 'arrivals 0 and n - 1');
});

t.test('uniform over keys: arrival -> place, n = 8, 4000 keys, chi-square (49 df) under the p = 0.001 value', async (t) => {
  const n = 8;
  const runs = 4000;
  const counts = new Float64Array(n * n);
  for (const key of keys('uniform-8', runs)) {
    const order = new QueueOrder(key, n);
    for (let a = 0; a < n; a++) counts[a * n + order.placeOf(a)]++;
  }
  const chi = chiSquare(counts, runs / n);
  // Rows and columns each sum to `runs` (every key gives a permutation): (8 - 1)^2 = 49 degrees of freedom.
  t.ok(chi < 85.35, `chi-square ${chi.toFixed(2)} < 85.35`);
  t.ok(Math.min(...counts) > 400 && Math.max(...counts) < 600, `every cell near 500: ${Math.min(...counts)}..${Math.max(...counts)}`);
});

t.test('uniform over keys for a bigger n: the place of arrival 0, n = 1000, 200 keys, 10 bins, 9 df', async (t) => {
  const n = 1000;
  const bins = new Float64Array(10);
  for (const key of keys('uniform-1000', 200)) bins[Math.floor(new QueueOrder(key, n).placeOf(0) / 100)]++;
  const chi = chiSquare(bins, 20);
  t.ok(chi < 27.88, `chi-square ${chi.toFixed(2)} < 27.88 (bins ${bins.join(' ')})`);
});

/**
 * Two independent random permutations agree on n * (1/n) = 1 arrival on average (Poisson(1): 10 or more is ~1e-7);
 * arrival and place are both permutations of 0..n-1, so they are their own ranks: Spearman's rho directly.
 */
function againstAnotherKey(t: Test, order: QueueOrder, guess: QueueOrder, rhoLimit: number): void {
  const n = order.n;
  let agree = 0;
  let d2 = 0;
  for (let a = 0; a < n; a++) {
    const p = order.placeOf(a);
    if (guess.placeOf(a) === p) agree++;
    d2 += (a - p) ** 2;
  }
  t.ok(agree < 10, `${agree} arrivals get the same place under another key`);
  const rho = 1 - (6 * d2) / (n * (n * n - 1));
  t.ok(Math.abs(rho) < rhoLimit, `Spearman rho(arrival, place) = ${rho.toFixed(4)} (a random permutation: sd ~${(1 / Math.sqrt(n - 1)).toFixed(3)})`);
}

t.test('cannot be predicted without the key: another key agrees on ~1 place, no rank correlation', async (t) => {
  const n = 10_000;
  const truth = new QueueOrder(keyOf('secret', 0), n);
  againstAnotherKey(t, truth, new QueueOrder(keyOf('guess', 0), n), 0.05);
  // And early arrivals are not early places: the first tenth of arrivals lands everywhere.
  const firstTenth = Array.from({ length: n / 10 }, (_, a) => truth.placeOf(a));
  const mean = firstTenth.reduce((s, p) => s + p, 0) / firstTenth.length;
  t.ok(Math.abs(mean - (n - 1) / 2) < 300, `the first 1000 arrivals' mean place ${mean.toFixed(0)} is near ${(n - 1) / 2}`);
});

// Beyond 65,536 joiners the order is the Feistel network, not the shuffled table: the same two properties for it.
t.test('the Feistel network (n = 100,000): uniform over keys, and another key agrees on ~1 place', async (t) => {
  const n = 100_000;
  const bins = new Float64Array(10);
  for (const key of keys('feistel', 400)) bins[Math.floor(new QueueOrder(key, n).placeOf(12_345) / 10_000)]++;
  const chi = chiSquare(bins, 40);
  t.ok(chi < 27.88, `the place of arrival 12,345 over 400 keys: chi-square ${chi.toFixed(2)} < 27.88 (bins ${bins.join(' ')})`);
  againstAnotherKey(t, new QueueOrder(keyOf('feistel-secret', 0), n), new QueueOrder(keyOf('feistel-guess', 0), n), 0.02);
});
