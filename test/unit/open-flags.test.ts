import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { StockCounters } from 'native-free-shm';
import { msToNextEdge, windowOpen } from '../../src/sale/schedule.js';
import { OpenFlags } from '../../src/node/main/open-flags.js';
import type { SaleInfo } from '../../src/sale/types.js';

const info = (slot: number, opensAt: number | null, closesAt: number | null): SaleInfo => ({
  id: `S${slot}`,
  slot,
  total: 10,
  anonymous: true,
  perUserLimit: 1,
  holdSeconds: 60,
  opensAt,
  closesAt,
  idKey: null,
});

t.test('the window is [opensAt, closesAt) and its next edge is the next change', async (t) => {
  const w = { opensAt: 1000, closesAt: 2000 };
  t.same([999, 1000, 1999, 2000].map((now) => windowOpen(w, now)), [false, true, true, false]);
  t.same([0, 1000, 1500, 2000].map((now) => msToNextEdge(w, now)), [1000, 1000, 500, null]);
  t.ok(windowOpen({ opensAt: null, closesAt: null }, 0), 'no times: always open');
  t.equal(msToNextEdge({ opensAt: null, closesAt: null }, 0), null, 'and never changes');
  t.equal(msToNextEdge({ opensAt: null, closesAt: 50 }, 10), 40);
});

t.test('the open flag in shared memory follows the window: set at once, flipped by a timer at each edge', async (t) => {
  const stock = StockCounters.create({ sales: 3, partitions: 1 });
  const flags = new OpenFlags(stock);
  t.teardown(() => flags.stop());
  const start = Date.now();
  flags.track(info(0, null, null));
  flags.track(info(1, start + 150, start + 400));
  flags.track(info(2, null, start - 1));
  t.ok(stock.isOpen(0), 'a sale without times is open');
  t.notOk(stock.isOpen(1), 'before opensAt: closed');
  t.notOk(stock.isOpen(2), 'after closesAt: closed');
  const waitFor = async (want: boolean, limitMs: number) => {
    while (stock.isOpen(1) !== want && Date.now() - start < limitMs) await sleep(5);
    return stock.isOpen(1) === want ? Date.now() - start : -1;
  };
  const opened = await waitFor(true, 5000);
  t.ok(opened >= 150, `opened at its opensAt, not before (${opened} ms)`);
  const closed = await waitFor(false, 5000);
  t.ok(closed >= 400, `closed at its closesAt, not before (${closed} ms)`);
});

t.test('stop() cancels the edge timers', async (t) => {
  const stock = StockCounters.create({ sales: 1, partitions: 1 });
  const flags = new OpenFlags(stock);
  flags.track(info(0, Date.now() + 30, null));
  flags.stop();
  await sleep(80);
  t.notOk(stock.isOpen(0), 'no timer left to open it');
});
