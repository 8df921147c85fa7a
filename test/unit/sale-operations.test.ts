// The pure parts of operating a sale (issue 13): the state a sale is in, the open flag as window && !paused,
// the stock change and page rules, and paging. No Redis.
import t from 'tap';
import { StockCounters } from 'native-free-shm';
import { OpenFlags } from '../../src/node/main/open-flags.js';
import { parseSalePageQuery, parseStockBody } from '../../src/http/request-rules.js';
import { checkStockChange } from '../../src/rules/input-rules.js';
import { pageOf } from '../../src/sale/operations.js';
import { flagOpen, saleState } from '../../src/sale/schedule.js';
import type { SaleInfo } from '../../src/sale/types.js';

t.test('state: closed wins over paused, paused over scheduled, else open', async (t) => {
  const w = { opensAt: 1000, closesAt: 2000 };
  t.same([500, 1000, 1999, 2000].map((now) => saleState(w, false, now)), ['scheduled', 'open', 'open', 'closed']);
  t.same([500, 1000, 1999, 2000].map((now) => saleState(w, true, now)), ['paused', 'paused', 'paused', 'closed']);
  t.equal(saleState({ opensAt: null, closesAt: null }, false, 0), 'open');
  t.equal(saleState({ opensAt: 5000, closesAt: 3000 }, false, 4000), 'closed', 'closed before it opened (an operator closed a scheduled sale)');
  t.equal(saleState({ opensAt: 5000, closesAt: 3000 }, false, 6000), 'closed', 'and stays closed past opensAt');
});

t.test('the open flag is the window AND not paused', async (t) => {
  const w = { opensAt: 1000, closesAt: 2000 };
  t.same([500, 1500, 2500].map((now) => flagOpen(w, false, now)), [false, true, false]);
  t.same([500, 1500, 2500].map((now) => flagOpen(w, true, now)), [false, false, false], 'paused: never open');
});

const info = (slot: number, opensAt: number | null, closesAt: number | null): SaleInfo => ({
  id: `S${slot}`, slot, total: 10, anonymous: true, perUserLimit: 1, holdSeconds: 60, opensAt, closesAt, idKey: null, train: null, queue: null,
});

t.test('OpenFlags.follow: a pause, a resume and a close reach the flag; nothing else rewrites it', async (t) => {
  const stock = StockCounters.create({ sales: 1, partitions: 1 });
  const now = 10_000;
  const flags = new OpenFlags(stock, () => now);
  t.teardown(() => flags.stop());
  const sale = info(0, null, null);
  flags.follow(sale, false);
  t.ok(stock.isOpen(0), 'registered: open');
  flags.follow(sale, true);
  t.notOk(stock.isOpen(0), 'paused: closed in shared memory');
  stock.setOpen(0, true); // a write the follow below must not repeat when nothing changed
  flags.follow(sale, true);
  t.ok(stock.isOpen(0), 'an unchanged read leaves the flag alone');
  flags.follow(sale, false);
  t.ok(stock.isOpen(0), 'resumed: open');
  sale.closesAt = now; // the registry took an operator's close (SaleRegistry.follow)
  flags.follow(sale, false);
  t.notOk(stock.isOpen(0), 'closed: closed');
  flags.forget(0);
  flags.follow(info(0, null, null), false);
  t.ok(stock.isOpen(0), 'a new sale in the slot starts afresh');
});

t.test('stock change: a whole number in -100000000..100000000, not 0; its body and the list query', async (t) => {
  t.same([1, -1, 100_000_000, -100_000_000].map((n) => checkStockChange(n).ok), [true, true, true, true]);
  t.same([0, 1.5, 100_000_001, -100_000_001, '2', null].map((n) => checkStockChange(n).ok), [false, false, false, false, false, false]);
  t.match(checkStockChange(0), { ok: false, problem: /is 0/ });
  t.same(parseStockBody('{"add": -3}'), { add: -3 });
  t.match(parseStockBody('{"add": 0}'), { status: 400, error: 'BAD_FIELD', msg: /^add is 0/ });
  t.match(parseStockBody('{"add": 2, "total": 9}'), { status: 400, msg: /total: unknown field/ });
  t.match(parseStockBody('[1]'), { status: 400, error: 'BAD_JSON' });
  t.same(parseSalePageQuery('', ''), { after: '', limit: 100 });
  t.same(parseSalePageQuery('G1', '500'), { after: 'G1', limit: 500 });
  t.match(parseSalePageQuery('', '501'), { status: 400, error: 'BAD_QUERY', msg: /limit expected a whole number from 1 to 500/ });
  t.match(parseSalePageQuery('a.b', ''), { status: 400, error: 'BAD_SALE' });
});

t.test('pages: in id order after a cursor, and where the next one starts', async (t) => {
  const ids = ['A', 'B', 'C', 'D', 'E'];
  t.same(pageOf(ids, '', 2), { ids: ['A', 'B'], next: 'B' });
  t.same(pageOf(ids, 'B', 2), { ids: ['C', 'D'], next: 'D' });
  t.same(pageOf(ids, 'D', 2), { ids: ['E'], next: null });
  t.same(pageOf(ids, 'C0', 10), { ids: ['D', 'E'], next: null }, 'a cursor that is no id (deleted since) still pages on');
  t.same(pageOf(ids, 'E', 2), { ids: [], next: null });
  t.same(pageOf(ids, '', 5), { ids, next: null });
});
