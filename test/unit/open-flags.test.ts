import t from 'tap';
import { StockCounters } from 'native-free-shm';
import { msToNextEdge, windowOpen } from '../../src/sale/schedule.js';
import { OpenFlags } from '../../src/node/main/open-flags.js';
import type { SaleInfo } from '../../src/sale/types.js';
import { ManualClock } from '../helpers/manual-clock.js';

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
  train: null,
  queue: null,
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
  // A clock moved by hand: the flag is read a millisecond before each edge and at it, no sleeping.
  const clock = new ManualClock(1_000_000);
  const stock = StockCounters.create({ sales: 3, partitions: 1 });
  const flags = new OpenFlags(stock, clock.now, clock);
  t.teardown(() => flags.stop());
  const start = clock.now();
  flags.track(info(0, null, null));
  flags.track(info(1, start + 150, start + 400));
  flags.track(info(2, null, start - 1));
  t.ok(stock.isOpen(0), 'a sale without times is open');
  t.notOk(stock.isOpen(1), 'before opensAt: closed');
  t.notOk(stock.isOpen(2), 'after closesAt: closed');
  t.same(clock.dueIn, [150], 'one timer, for the one sale with an edge ahead, at its opensAt');
  clock.advance(149);
  t.notOk(stock.isOpen(1), 'a millisecond before opensAt: still closed');
  clock.advance(1);
  t.ok(stock.isOpen(1), 'at opensAt: open');
  t.same(clock.dueIn, [250], 'the next timer is at closesAt');
  clock.advanceTo(start + 399);
  t.ok(stock.isOpen(1), 'a millisecond before closesAt: still open');
  clock.advance(1);
  t.notOk(stock.isOpen(1), 'at closesAt: closed');
  t.equal(clock.pending, 0, 'no edge left, no timer left');
});

t.test('a timer that fires early (by the wall clock) finds its edge ahead and waits the rest', async (t) => {
  const clock = new ManualClock(5_000);
  const stock = StockCounters.create({ sales: 1, partitions: 1 });
  let skew = 0;
  // The wall clock lags the timer by `skew` ms: the timer set for opensAt fires when now() says opensAt - 3.
  const flags = new OpenFlags(stock, () => clock.now() - skew, clock);
  t.teardown(() => flags.stop());
  flags.track(info(0, 5_100, null));
  skew = 3;
  clock.advance(100);
  t.notOk(stock.isOpen(0), 'woken 3 ms early by the wall clock: not opened before opensAt');
  t.same(clock.dueIn, [3], 'and a timer for the 3 ms left');
  clock.advance(3);
  t.ok(stock.isOpen(0), 'opened at opensAt');
});

t.test('stop() cancels the edge timers', async (t) => {
  const clock = new ManualClock(0);
  const stock = StockCounters.create({ sales: 2, partitions: 1 });
  const flags = new OpenFlags(stock, clock.now, clock);
  flags.track(info(0, 30, null));
  flags.track(info(1, null, 50));
  t.equal(clock.pending, 2, 'a timer for each edge ahead');
  flags.stop();
  t.equal(clock.pending, 0, 'none left after stop');
  clock.advance(100);
  t.notOk(stock.isOpen(0), 'past its opensAt: no timer left to open it');
  t.ok(stock.isOpen(1), 'past its closesAt: no timer left to close it');
});
