// Every bad argument throws a StockCountersError with a stable code, a message naming the argument and
// its value, and leaves the buffer byte-for-byte unchanged.

import t from 'tap';
import { ErrorCodes, StockCounters, StockCountersError, layout } from '../src/index.js';

const SALES = 3;
const PARTITIONS = 2;

function fresh(): StockCounters {
  const counters = StockCounters.create({ sales: SALES, partitions: PARTITIONS });
  counters.setQuota(0, 10);
  counters.setQuota(1, 3);
  counters.setOpen(0, true);
  counters.take(0, 1);
  counters.give(1, 0, 2);
  return counters;
}

/** The type of `t` inside t.test(...) (the last overload of test() takes only the callback). */
type TestT = Parameters<Parameters<typeof t.test>[0]>[0];

function expectRefused(
  t: TestT,
  name: string,
  call: (c: StockCounters) => unknown,
  code: string,
  mentions: RegExp[],
  prepare?: (c: StockCounters) => void,
): void {
  const counters = fresh();
  prepare?.(counters);
  const before = new Uint8Array(counters.buffer).slice();
  let caught: unknown;
  try {
    call(counters);
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof StockCountersError, `${name}: throws StockCountersError`);
  if (!(caught instanceof StockCountersError)) return;
  t.ok(caught instanceof Error, `${name}: is an Error`);
  t.equal(caught.name, 'StockCountersError');
  t.equal(caught.code, code, `${name}: code ${code}`);
  for (const pattern of mentions) t.match(caught.message, pattern, `${name}: message mentions ${pattern}`);
  t.same(new Uint8Array(counters.buffer), before, `${name}: nothing written`);
}

// Values that are not a valid index, and how they must appear in the message.
const badIndexes: [unknown, RegExp][] = [
  [-1, /got -1\b/],
  [1.5, /got 1\.5\b/],
  [Number.NaN, /got NaN\b/],
  [Number.POSITIVE_INFINITY, /got Infinity\b/],
  [2 ** 32, /got 4294967296\b/],
  ['0', /got "0"/],
  [undefined, /got undefined\b/],
  [null, /got null\b/],
];

t.test('slot out of range or not an integer: ERR_SHM_SLOT_RANGE from every method', async (t) => {
  const calls: [string, (c: StockCounters, slot: never) => unknown][] = [
    ['take', (c, s) => c.take(s, 0)],
    ['give', (c, s) => c.give(s, 0)],
    ['setQuota', (c, s) => c.setQuota(s, 5)],
    ['exchangeQuota', (c, s) => c.exchangeQuota(s, 5)],
    ['available', (c, s) => c.available(s)],
    ['setOpen', (c, s) => c.setOpen(s, false)],
    ['isOpen', (c, s) => c.isOpen(s)],
    ['setSoldOut', (c, s) => c.setSoldOut(s, true)],
    ['isSoldOut', (c, s) => c.isSoldOut(s)],
    ['snapshot', (c, s) => c.snapshot(s)],
  ];
  for (const [method, call] of calls) {
    for (const [value, shown] of [...badIndexes, [SALES, /got 3\b/] as [unknown, RegExp]]) {
      expectRefused(t, `${method}(slot=${String(value)})`, (c) => call(c, value as never), ErrorCodes.SLOT_RANGE, [
        /^slot must be an integer from 0 to 2/,
        /sales: 3/,
        shown,
        /create the counters with more sales/,
      ]);
    }
  }
});

t.test('partition out of range or not an integer: ERR_SHM_PARTITION_RANGE', async (t) => {
  const calls: [string, (c: StockCounters, partition: never) => unknown][] = [
    ['take', (c, p) => c.take(0, p)],
    ['give', (c, p) => c.give(0, p, 1)],
  ];
  for (const [method, call] of calls) {
    for (const [value, shown] of [...badIndexes, [PARTITIONS, /got 2\b/] as [unknown, RegExp]]) {
      expectRefused(t, `${method}(partition=${String(value)})`, (c) => call(c, value as never), ErrorCodes.PARTITION_RANGE, [
        /^partition must be an integer from 0 to 1/,
        /partitions: 2/,
        shown,
      ]);
    }
  }
});

t.test('give amount below 1: ERR_SHM_NEGATIVE_AMOUNT; not an integer or above the cap: ERR_SHM_AMOUNT_RANGE', async (t) => {
  for (const value of [0, -1, -1000]) {
    expectRefused(t, `give(amount=${value})`, (c) => c.give(0, 0, value), ErrorCodes.NEGATIVE_AMOUNT, [
      /^amount must be an integer from 1 to 2147483647/,
      new RegExp(`got ${value}\\b`),
      /take\(\)/,
    ]);
  }
  for (const [value, shown] of [
    [1.5, /got 1\.5\b/],
    [Number.NaN, /got NaN\b/],
    [2 ** 31, /got 2147483648\b/],
    ['1', /got "1"/],
    [null, /got null\b/],
  ] as [unknown, RegExp][]) {
    expectRefused(t, `give(amount=${String(value)})`, (c) => c.give(0, 0, value as never), ErrorCodes.AMOUNT_RANGE, [
      /^amount must be an integer/,
      shown,
    ]);
  }
});

t.test('quota below 0: ERR_SHM_NEGATIVE_AMOUNT; not an integer or above 2^31-1: ERR_SHM_AMOUNT_RANGE', async (t) => {
  for (const method of ['setQuota', 'exchangeQuota'] as const) {
    expectRefused(t, `${method}(total=-1)`, (c) => c[method](0, -1), ErrorCodes.NEGATIVE_AMOUNT, [
      /^total must be an integer from 0 to 2147483647/,
      /got -1\b/,
    ]);
    for (const [value, shown] of [
      [2 ** 31, /got 2147483648\b/],
      [0.5, /got 0\.5\b/],
      [Number.NaN, /got NaN\b/],
      ['10', /got "10"/],
    ] as [unknown, RegExp][]) {
      expectRefused(t, `${method}(total=${String(value)})`, (c) => c[method](0, value as never), ErrorCodes.AMOUNT_RANGE, [
        /^total must be an integer from 0 to 2147483647/,
        shown,
      ]);
    }
  }
});

t.test('give past the Int32 cap: ERR_SHM_OVERFLOW', async (t) => {
  expectRefused(
    t,
    'give over the cap',
    (c) => c.give(2, 1, 2),
    ErrorCodes.OVERFLOW,
    [/^give\(2, 1, 2\)/, /from 2147483646/, /2147483647/, /setQuota/],
    (c) => c.give(2, 1, layout.kMaxUnits - 1),
  );
  const counters = StockCounters.create({ sales: 1, partitions: 1 });
  counters.give(0, 0, layout.kMaxUnits - 1);
  counters.give(0, 0, 1);
  t.equal(counters.available(0), layout.kMaxUnits, 'up to the cap exactly is fine');
});

t.test('a flag that is not a boolean: ERR_SHM_BAD_FLAG', async (t) => {
  for (const value of [1, 0, 'true', undefined, null]) {
    expectRefused(t, `setOpen(${String(value)})`, (c) => c.setOpen(0, value as never), ErrorCodes.BAD_FLAG, [
      /^open must be true or false/,
    ]);
    expectRefused(t, `setSoldOut(${String(value)})`, (c) => c.setSoldOut(1, value as never), ErrorCodes.BAD_FLAG, [
      /^soldOut must be true or false/,
    ]);
  }
});

t.test('bad options: ERR_SHM_BAD_OPTIONS from create() and byteLength(), naming the option', async (t) => {
  const cases: [unknown, RegExp[]][] = [
    [undefined, [/^options must be an object/, /got undefined/]],
    [null, [/got null/]],
    [4, [/got 4/]],
    [{}, [/^options\.sales must be an integer from 1 to 1048576, got undefined/]],
    [{ sales: 0, partitions: 1 }, [/options\.sales/, /got 0\b/, /sale slots/]],
    [{ sales: 2.5, partitions: 1 }, [/options\.sales/, /got 2\.5/]],
    [{ sales: '4', partitions: 1 }, [/options\.sales/, /got "4"/]],
    [{ sales: 2 ** 20 + 1, partitions: 1 }, [/options\.sales/, /got 1048577/]],
    [{ sales: 1 }, [/^options\.partitions must be an integer from 1 to 1024, got undefined/, /one partition each/]],
    [{ sales: 1, partitions: -2 }, [/options\.partitions/, /got -2/]],
    [{ sales: 1, partitions: 1025 }, [/options\.partitions/, /got 1025/]],
    [{ sales: 1, partitions: Number.NaN }, [/options\.partitions/, /got NaN/]],
    [{ sales: 1, partitions: 1, cacheLinePadding: 'no' }, [/options\.cacheLinePadding/, /got "no"/]],
    [{ sales: 2 ** 20, partitions: 1024 }, [/1048576 x 1024/, /cap/, /fewer/]],
  ];
  for (const [options, mentions] of cases) {
    for (const [name, call] of [
      ['create', () => StockCounters.create(options as never)],
      ['byteLength', () => StockCounters.byteLength(options as never)],
    ] as const) {
      const err = t.throws(call, { code: ErrorCodes.BAD_OPTIONS, name: 'StockCountersError' }, `${name}(${JSON.stringify(options)})`);
      for (const pattern of mentions) t.match((err as Error).message, pattern);
    }
  }
});
