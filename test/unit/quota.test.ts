import t from 'tap';
import { StockCounters } from 'native-free-shm';
import { applyFacts, clampFromReply, localTarget, quotaFor } from '../../src/sale/quota.js';
import { SlotMemory } from '../../src/sale/slot-memory.js';
import type { SaleFacts } from '../../src/sale/types.js';

t.test('quotaFor: weighted share of the remaining plus a buffer, never more than exists', async (t) => {
  t.equal(quotaFor(1000, 1, 10, 8), 108, 'ceil(1000 * 1/10) + 8');
  t.equal(quotaFor(1000, 4, 10, 8), 408);
  t.equal(quotaFor(1000, 10, 10, 8), 1000, 'a single node gets exactly the remaining');
  t.equal(quotaFor(5, 1, 10, 8), 5, 'capped at the remaining');
  t.equal(quotaFor(0, 1, 10, 8), 0, 'nothing left, nothing to take');
  t.equal(quotaFor(-3, 1, 10, 8), 0, 'over-held (never happens) reads as 0');
  t.equal(quotaFor(1, 1, 1000, 0), 1, 'ceil keeps the last unit takeable on every node, whatever its weight');
  t.equal(quotaFor(7, 1, 10, 0), 1);
  t.equal(quotaFor(100, 0, 10, 8), 0, 'a weightless node takes nothing');
  // No stranded stock: for any remaining > 0 and any weights, every node's quota is >= 1.
  for (let remaining = 1; remaining < 50; remaining++) {
    for (const [w, total] of [[1, 10], [2, 10], [3, 10], [4, 10], [1, 1000]] as const) {
      if (quotaFor(remaining, w, total, 0) < 1) t.fail(`remaining ${remaining} weight ${w}/${total} stranded`);
    }
  }
  t.equal(localTarget(100, 3), 97, 'in-flight units are already taken from the quota');
  t.equal(localTarget(2, 5), 0, 'never negative');
});

const facts = (remaining: number): SaleFacts => ({
  id: 'S',
  total: 100,
  held: 100 - remaining,
  paid: 0,
  remaining,
  open: true,
  paused: false,
  state: 'open',
  perUserLimit: 1,
  holdSeconds: 900,
  anonymous: false,
  opensAt: null,
  closesAt: null,
  ordersMade: 100 - remaining,
  checkedIn: 0,
  idKey: null,
  kind: 'counter',
});

t.test('applyFacts (main thread) raises and lowers; clampFromReply (threads) only lowers', async (t) => {
  const stock = StockCounters.create({ sales: 2, partitions: 2 });
  const slots = SlotMemory.create({ slots: 2, threads: 2 });
  const policy = { weight: 1, totalWeight: 2, quotaBuffer: 0 };
  applyFacts(stock, slots, 0, facts(100), policy);
  t.equal(stock.available(0), 50, 'half of 100 for weight 1 of 2');
  t.notOk(stock.isSoldOut(0));
  t.ok(stock.take(0, 0));
  slots.addInFlight(0, 0);
  applyFacts(stock, slots, 0, facts(100), policy);
  t.equal(stock.available(0), 49, 'an in-flight unit is not handed out twice');
  clampFromReply(stock, 0, 200, policy);
  t.equal(stock.available(0), 49, 'a reply never raises the quota');
  clampFromReply(stock, 0, 20, policy);
  t.equal(stock.available(0), 10, 'a reply lowers it to the share of the new remaining');
  clampFromReply(stock, 0, 0, policy);
  t.equal(stock.available(0), 0);
  t.ok(stock.isSoldOut(0), 'remaining 0 -> sold out');
  slots.doneInFlight(0, 0);
  applyFacts(stock, slots, 0, facts(3), policy);
  t.notOk(stock.isSoldOut(0), 'stock came back (expired holds) -> reopened');
  t.equal(stock.available(0), 2, 'ceil(3/2)');
});
