// The hot path's decisions without HTTP or Redis: real shared-memory stock, a fake batcher whose replies the
// test decides, a fake sale directory.
import t from 'tap';
import { StockCounters } from 'native-free-shm';
import { Outcome } from '../../src/redis/codes.js';
import type { ReserveOutcome } from '../../src/sale/batcher.js';
import { InFlight } from '../../src/sale/in-flight.js';
import { PurchaseDesk, type PurchaseAsk, type PurchaseVerdict } from '../../src/sale/purchase-desk.js';
import type { PurchaseRequest, SaleInfo } from '../../src/sale/types.js';

const SALE: SaleInfo = { id: 'S', slot: 0, total: 100, anonymous: false, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null };

function setup(quota = 10) {
  const stock = StockCounters.create({ sales: 2, partitions: 2 });
  stock.setQuota(0, quota);
  stock.setOpen(0, true);
  const inFlight = InFlight.create(2);
  const sent: Array<{ saleId: string; request: PurchaseRequest; reply: (o: ReserveOutcome) => void }> = [];
  const batcher = {
    reserve: (saleId: string, request: PurchaseRequest) => new Promise<ReserveOutcome>((reply) => sent.push({ saleId, request, reply })),
  };
  let draining = false;
  const lookups: string[] = [];
  const desk = new PurchaseDesk({
    stock,
    inFlight,
    partition: 1,
    batcher,
    directory: {
      get: (id) => (id === 'S' ? SALE : undefined),
      find: (id, done) => {
        lookups.push(id);
        if (id === 'DOWN') done(null, 'Redis is away');
        else done(null);
      },
    },
    policy: { weight: 1, totalWeight: 1, quotaBuffer: 0 },
    idTag: 't1',
    draining: () => draining,
  });
  const buy = (ask: Partial<PurchaseAsk> = {}) =>
    new Promise<PurchaseVerdict>((done) => desk.buy({ saleId: 'S', user: 'u1', idempotencyKey: '', stillWanted: () => true, ...ask }, done));
  return { stock, inFlight, sent, desk, buy, lookups, drain: () => (draining = true) };
}

/** Lets the desk's promise callbacks run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('decided from shared memory, no Redis: closed, sold out, quota used up, unknown sale, draining', async (t) => {
  const s = setup(1);
  s.stock.setOpen(0, false);
  t.match(await s.buy(), { kind: 'not_open' }, 'the open flag is read on the hot path');
  s.stock.setOpen(0, true);
  s.stock.setSoldOut(0, true);
  t.match(await s.buy(), { kind: 'sold_out' });
  s.stock.setSoldOut(0, false);
  t.match(await s.buy({ user: '' }), { kind: 'user_required' }, 'anonymous buyer on a named sale');
  t.match(await s.buy({ saleId: 'NOPE' }), { kind: 'unknown_sale', saleId: 'NOPE' });
  t.match(await s.buy({ saleId: 'DOWN' }), { kind: 'lookup_failed', reason: 'Redis is away' });
  t.same(s.lookups, ['NOPE', 'DOWN'], 'unknown ids are looked up; the known one is not');
  t.match(await s.buy({ stillWanted: () => false }), { kind: 'abandoned' }, 'a buyer who left takes nothing');
  t.equal(s.stock.available(0), 1, 'nothing taken so far');
  void s.buy({ user: 'u2' });
  t.match(await s.buy({ user: 'u3' }), { kind: 'sold_out' }, 'the one unit is in flight: the next finds the quota empty');
  s.drain();
  t.match(await s.buy(), { kind: 'shutting_down' });
  t.equal(s.sent.length, 1, 'only the purchase that took a unit reached the batcher');
});

t.test('a new success keeps its unit; a replay, a refusal or an unknown outcome gives it back', async (t) => {
  const s = setup(10);
  const ok = s.buy({ user: 'a' });
  const replay = s.buy({ user: 'b' });
  const limit = s.buy({ user: 'c' });
  const unknown = s.buy({ user: 'd' });
  t.equal(s.stock.available(0), 6, 'four units taken');
  t.equal(s.inFlight.get(0), 4, 'and counted in flight');
  const [a, b, c, d] = s.sent;
  a!.reply({ outcome: Outcome.Success, orderId: a!.request.orderId, expiresAt: 5, replayed: false, remaining: 90 });
  b!.reply({ outcome: Outcome.Success, orderId: 'S.earlier', expiresAt: 4, replayed: true, remaining: 90 });
  c!.reply({ outcome: Outcome.LimitReached, remaining: 90 });
  d!.reply({ outcome: 'unknown', orderId: d!.request.orderId, reason: 'timeout' });
  t.match(await ok, { kind: 'success', orderId: a!.request.orderId, replayed: false });
  t.match(await replay, { kind: 'success', orderId: 'S.earlier', replayed: true });
  t.match(await limit, { kind: 'limit' });
  t.match(await unknown, { kind: 'undecided', orderId: d!.request.orderId, reason: 'timeout' });
  t.equal(s.stock.available(0), 9, 'only the new success kept its unit');
  t.equal(s.inFlight.get(0), 0, 'nothing left in flight');
  t.match(a!.request.orderId, /^S\.[A-Za-z0-9_-]*-t1-/, 'order ids carry the sale and the thread tag');
});

t.test("the batch's remaining lowers the quota, and 0 marks sold out", async (t) => {
  const s = setup(10);
  const p = s.buy();
  s.sent[0]!.reply({ outcome: Outcome.Success, orderId: s.sent[0]!.request.orderId, expiresAt: 1, replayed: false, remaining: 3 });
  await p;
  t.equal(s.stock.available(0), 3, 'lowered to the remaining the reply carried');
  const q = s.buy({ user: 'u9' });
  s.sent[1]!.reply({ outcome: Outcome.SoldOut, remaining: 0 });
  t.match(await q, { kind: 'sold_out' });
  t.ok(s.stock.isSoldOut(0), 'sold out from the reply');
  t.equal(s.stock.available(0), 0);
});

t.test('one Idempotency-Key in flight per sale: a second is told to wait, another sale is not', async (t) => {
  const s = setup(10);
  const first = s.buy({ idempotencyKey: 'K' });
  t.match(await s.buy({ idempotencyKey: 'K' }), { kind: 'key_in_flight' });
  await tick();
  s.sent[0]!.reply({ outcome: Outcome.Success, orderId: s.sent[0]!.request.orderId, expiresAt: 1, replayed: false, remaining: 50 });
  await first;
  const again = s.buy({ idempotencyKey: 'K' });
  t.equal(s.sent.length, 2, 'after the answer the same key goes to Redis again (which replays it)');
  t.equal(s.sent[1]!.request.idempotencyKey, 'K');
  s.sent[1]!.reply({ outcome: Outcome.Success, orderId: s.sent[0]!.request.orderId, expiresAt: 1, replayed: true, remaining: 50 });
  t.match(await again, { kind: 'success', replayed: true });
});
