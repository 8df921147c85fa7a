// The hot path's decisions without HTTP or Redis: real shared-memory stock, a fake batcher whose replies the
// test decides, a fake sale directory, the thread's real holder index.
import t from 'tap';
import { StockCounters } from 'native-free-shm';
import { Outcome } from '../../src/redis/codes.js';
import type { DecidedPurchase, ReserveOutcome } from '../../src/sale/batcher.js';
import { orderIdTagValid } from '../../src/sale/ids.js';
import { SlotMemory } from '../../src/sale/slot-memory.js';
import { CounterInventory } from '../../src/sale/counter-inventory.js';
import { PurchaseDesk, type PurchaseAsk, type PurchaseVerdict } from '../../src/sale/purchase-desk.js';
import type { PurchaseRequest, PurchaseSuccess, SaleInfo } from '../../src/sale/types.js';
import { ThreadHolderIndex } from '../../src/node/thread/holder-index.js';
import { HolderFilter } from '../../src/sale/holder-filter.js';

const SALE: SaleInfo = { id: 'S', slot: 0, total: 100, anonymous: true, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null, idKey: null, train: null, queue: null };
/** The same slot as a sale with an order-id key (src/sale/ids.ts). */
const KEYED: SaleInfo = { ...SALE, id: 'KEYED', idKey: '00112233445566778899aabbccddeeff' };

function setup(quota = 10) {
  const stock = StockCounters.create({ sales: 2, partitions: 2 });
  stock.setQuota(0, quota);
  stock.setOpen(0, true);
  const slots = SlotMemory.create({ slots: 2, threads: 2 });
  const holders = new ThreadHolderIndex(slots);
  const sent: Array<{ saleId: string; request: PurchaseRequest; reply: (o: ReserveOutcome) => void }> = [];
  const batcher = {
    reserveTo: (saleId: string, request: PurchaseRequest, reply: (o: ReserveOutcome) => void) => void sent.push({ saleId, request, reply }),
  };
  let draining = false;
  const lookups: string[] = [];
  const soldOut: string[] = [];
  /** Buyers the rate limit was asked about; those in `limited` are told to wait 250 ms. */
  const asked: string[] = [];
  const limited = new Set<string>();
  const desk = new PurchaseDesk({
    stock,
    slots,
    inventory: new CounterInventory(stock, slots, { weight: 1, totalWeight: 1, quotaBuffer: 0 }),
    partition: 1,
    batcher,
    directory: {
      get: (id) => (id === 'S' ? SALE : id === 'KEYED' ? KEYED : id === 'NAMED' ? { ...SALE, id: 'NAMED', slot: 1, anonymous: false } : undefined),
      find: (id, done) => {
        lookups.push(id);
        if (id === 'DOWN') done(null, 'Redis is away');
        else done(null);
      },
    },
    holders,
    buyers: {
      take: (buyer) => {
        asked.push(buyer);
        return limited.has(buyer) ? 250_000 : 0;
      },
    },
    draining: () => draining,
    onSoldOut: (sale) => soldOut.push(sale.id),
    passes: { admit: () => null, bought: () => {} },
  });
  const askOf = (ask: Partial<PurchaseAsk>) => ({ saleId: 'S', user: 'u1', idempotencyKey: '', requestKey: '', client: { open: true }, ...ask }) as PurchaseAsk;
  const buy = (ask: Partial<PurchaseAsk> = {}) => new Promise<PurchaseVerdict>((done) => desk.buy(askOf(ask), done));
  /**
   * Starts a purchase of a known sale and says what the desk did before returning: the verdict it decided from
   * shared memory, or 'sent' when it handed the purchase to the batcher (a known sale has no asynchronous step
   * before either, so nothing is left to wait for).
   */
  const startBuy = (ask: Partial<PurchaseAsk> = {}): PurchaseVerdict | 'sent' | 'nothing' => {
    const before = sent.length;
    const got: { verdict?: PurchaseVerdict } = {};
    desk.buy(askOf(ask), (verdict) => (got.verdict = verdict));
    if (got.verdict !== undefined) return got.verdict;
    return sent.length === before + 1 ? 'sent' : 'nothing';
  };
  return { stock, slots, holders, sent, desk, buy, startBuy, lookups, soldOut, asked, limited, drain: () => (draining = true) };
}

/** A holder filter as the main thread publishes it: these entries, complete up to ordersMade. */
function filterOf(ordersMade: number, entries: string[]): SharedArrayBuffer {
  const filter = HolderFilter.create(entries.length);
  for (const entry of entries) filter.add(entry);
  filter.publish(ordersMade);
  return filter.buffer;
}

// A fake of the batcher's answer: the test names only the fields its case needs.
const decided = (o: Omit<Partial<PurchaseSuccess>, 'outcome'> & { outcome: Outcome; otherSale?: string; remaining?: number; ordersMade?: number }): DecidedPurchase => ({ remaining: 50, ordersMade: 1, ...o }) as DecidedPurchase;

t.test('decided from shared memory, no Redis: closed, sold out, unknown sale, draining', async (t) => {
  const s = setup(1);
  s.stock.setOpen(0, false);
  t.match(await s.buy(), { kind: 'not_open' }, 'the open flag is read on the hot path');
  s.stock.setOpen(0, true);
  s.holders.learned('S', filterOf(0, []));
  s.stock.setSoldOut(0, true);
  t.match(await s.buy(), { kind: 'sold_out' }, 'sold out per the authority, and this buyer holds nothing');
  s.stock.setSoldOut(0, false);
  t.match(await s.buy({ saleId: 'NAMED', user: '' }), { kind: 'user_required' }, 'anonymous buyer on a named sale');
  t.match(await s.buy({ saleId: 'NOPE' }), { kind: 'unknown_sale', saleId: 'NOPE' });
  t.match(await s.buy({ saleId: 'DOWN' }), { kind: 'lookup_failed', reason: 'Redis is away' });
  t.same(s.lookups, ['NOPE', 'DOWN'], 'unknown ids are looked up; the known ones are not');
  t.match(await s.buy({ client: { open: false } }), { kind: 'abandoned' }, 'a buyer who left takes nothing');
  s.drain();
  t.match(await s.buy(), { kind: 'shutting_down' });
  t.equal(s.sent.length, 0, 'none of them reached the batcher');
});

t.test("order ids carry the sale's tag: made with the key of the sale they are bought in", async (t) => {
  const s = setup(2);
  void s.buy({ saleId: 'KEYED' });
  void s.buy({ saleId: 'S' });
  const [keyed, legacy] = s.sent.map((x) => x.request.orderId) as [string, string];
  t.match(keyed, /^KEYED\.[A-Za-z0-9_-]{22}$/);
  t.ok(orderIdTagValid(keyed, KEYED.idKey), "the keyed sale's id passes its tag check");
  t.notOk(orderIdTagValid(legacy.replace(/^S\./, 'KEYED.'), KEYED.idKey), "a legacy sale's id (16 random bytes) carries no tag");
});

t.test('an empty node quota is no verdict: the purchase goes to Redis without a unit', async (t) => {
  const s = setup(1);
  const first = s.buy({ user: 'u1' });
  const second = s.buy({ user: 'u2' });
  t.equal(s.sent.length, 2, 'both purchases went to Redis');
  t.equal(s.stock.available(0), 0, 'the first took the one unit');
  t.equal(s.slots.inFlight(0), 1, 'only the unit-holding purchase is in flight');
  s.sent[1].reply(decided({ outcome: Outcome.Success, orderId: s.sent[1].request.orderId, expiresAt: 5, replayed: false, remaining: 40 }));
  t.match(await second, { kind: 'success', replayed: false }, 'Redis sold it: stock was left elsewhere');
  s.sent[0].reply(decided({ outcome: Outcome.LimitReached, remaining: 40 }));
  t.match(await first, { kind: 'limit' });
  t.equal(s.stock.available(0), 1, 'the refused purchase gave its unit back; the unit-less success gave nothing');
  t.equal(s.slots.inFlight(0), 0);
});

t.test('a new success keeps its unit; a replay, a refusal or an unknown outcome gives it back', async (t) => {
  const s = setup(10);
  const ok = s.buy({ user: 'a' });
  const replay = s.buy({ user: 'b' });
  const limit = s.buy({ user: 'c' });
  const unknown = s.buy({ user: 'd' });
  t.equal(s.stock.available(0), 6, 'four units taken');
  t.equal(s.slots.inFlight(0), 4, 'and counted in flight');
  const [a, b, c, d] = s.sent;
  a.reply(decided({ outcome: Outcome.Success, orderId: a.request.orderId, expiresAt: 5, replayed: false, status: 'held', remaining: 90 }));
  b.reply(decided({ outcome: Outcome.Success, orderId: 'S.earlier', expiresAt: 4, replayed: true, status: 'paid', remaining: 90 }));
  c.reply(decided({ outcome: Outcome.LimitReached, remaining: 90 }));
  d.reply({ outcome: 'unknown', orderId: d.request.orderId, reason: 'timeout' });
  t.match(await ok, { kind: 'success', orderId: a.request.orderId, replayed: false, status: 'held' });
  t.match(await replay, { kind: 'success', orderId: 'S.earlier', replayed: true, status: 'paid' }, 'a replay tells the order as it is now');
  t.match(await limit, { kind: 'limit' });
  t.match(await unknown, { kind: 'undecided', orderId: d.request.orderId, reason: 'timeout' });
  t.equal(s.stock.available(0), 9, 'only the new success kept its unit');
  t.equal(s.slots.inFlight(0), 0, 'nothing left in flight');
  t.match(a.request.orderId, /^S\.[A-Za-z0-9_-]{22}$/, 'order ids carry the sale and 128 random bits');
});

t.test('a replay of an order that is over is not a fresh success', async (t) => {
  const s = setup(10);
  const cancelled = s.buy({ idempotencyKey: 'K1' });
  const expired = s.buy({ idempotencyKey: 'K2' });
  s.sent[0].reply(decided({ outcome: Outcome.Success, orderId: 'S.c', expiresAt: 1, replayed: true, status: 'cancelled' }));
  s.sent[1].reply(decided({ outcome: Outcome.Success, orderId: 'S.e', expiresAt: 1, replayed: true, status: 'expired' }));
  t.same(await cancelled, { kind: 'replayed_final', sale: SALE, orderId: 'S.c', status: 'cancelled' });
  t.same(await expired, { kind: 'replayed_final', sale: SALE, orderId: 'S.e', status: 'expired' });
});

t.test("the batch's remaining lowers the quota; 0 marks sold out once, and says so", async (t) => {
  const s = setup(10);
  const p = s.buy();
  s.sent[0].reply(decided({ outcome: Outcome.Success, orderId: s.sent[0].request.orderId, expiresAt: 1, replayed: false, remaining: 3 }));
  await p;
  t.equal(s.stock.available(0), 3, 'lowered to the remaining the reply carried');
  const q = s.buy({ user: 'u9' });
  const r = s.buy({ user: 'u10' });
  s.sent[1].reply(decided({ outcome: Outcome.SoldOut, remaining: 0, ordersMade: 7 }));
  s.sent[2].reply(decided({ outcome: Outcome.SoldOut, remaining: 0, ordersMade: 7 }));
  t.match(await q, { kind: 'sold_out' });
  await r;
  t.ok(s.stock.isSoldOut(0), 'sold out from the reply');
  t.equal(s.slots.ordersSeen(0), 7, 'the orders count came with it');
  t.same(s.soldOut, ['S'], 'the transition is reported once');
});

t.test('sold out: buyers who may hold an order still reach Redis, everyone else is answered from memory', async (t) => {
  const s = setup(0);
  s.stock.setSoldOut(0, true);
  s.slots.raiseOrdersSeen(0, 3);
  t.equal(s.startBuy({ user: 'stranger' }), 'sent', 'no current holder index yet: to Redis');
  s.holders.learned('S', filterOf(2, ['alice', 'bob KB', ' AK']));
  t.equal(s.startBuy({ user: 'stranger2' }), 'sent', 'an index older than the orders seen is not trusted: to Redis');
  s.holders.learned('S', filterOf(3, ['alice', 'bob KB', ' AK']));
  t.match(await s.buy({ user: 'stranger3' }), { kind: 'sold_out' }, 'a current index: a stranger hears sold out from memory');
  t.match(await s.buy({ user: '' }), { kind: 'sold_out' }, 'so does an anonymous buyer without a key');
  t.match(await s.buy({ user: 'bob', idempotencyKey: 'OTHER' }), { kind: 'sold_out' }, 'and a key this buyer never used');
  t.match(await s.buy({ user: 'carol', idempotencyKey: 'KB' }), { kind: 'sold_out' }, "another buyer's key is not theirs");
  void s.buy({ user: 'alice' });
  void s.buy({ user: 'bob', idempotencyKey: 'KB' });
  void s.buy({ user: '', idempotencyKey: 'AK' });
  t.equal(s.sent.length, 5, 'the holder, and the two buyers with their own recorded keys, went to Redis');
  t.same(s.sent.slice(2).map((x) => x.request.user), ['alice', 'bob', '']);
});

t.test("a key that names a purchase in another sale: refused, and the quota is left alone", async (t) => {
  const s = setup(5);
  const p = s.buy({ idempotencyKey: 'K9' });
  t.equal(s.sent[0].request.idempotencyKey, 'K9', "the buyer's key goes to the engine, which claims it across sales");
  s.sent[0].reply(decided({ outcome: Outcome.IdempotencyMismatch, otherSale: 'OTHER', remaining: Number.NaN, ordersMade: Number.NaN }));
  t.same(await p, { kind: 'key_reused', sale: SALE, otherSale: 'OTHER' });
  t.equal(s.stock.available(0), 5, 'its unit came back; unknown counts changed nothing');
  t.notOk(s.stock.isSoldOut(0));
  const q = s.buy({ requestKey: 'req-1' });
  t.same([s.sent[1].request.idempotencyKey, s.sent[1].request.requestKey], [undefined, 'req-1'], "a proxy's request key is sent as such");
  s.sent[1].reply(decided({ outcome: Outcome.Success, orderId: s.sent[1].request.orderId, expiresAt: 1, replayed: false }));
  await q;
});

t.test('the per-buyer limit comes first: a limited buyer costs no lookup, no unit, no Redis call', async (t) => {
  const s = setup(5);
  s.limited.add('bot');
  t.same(await s.buy({ user: 'bot', saleId: 'UNKNOWN', idempotencyKey: 'k1' }), { kind: 'rate_limited', waitUs: 250_000 }, 'refused with the wait');
  t.same(s.lookups, [], 'no sale lookup');
  t.equal(s.stock.available(0), 5, 'no unit taken');
  t.equal(s.sent.length, 0, 'nothing sent to Redis');
  t.same(await s.buy({ user: 'bot', idempotencyKey: 'k1' }), { kind: 'rate_limited', waitUs: 250_000 }, 'a replay of the same key counts too');
  const person = s.buy({ user: 'person' });
  t.equal(s.sent.length, 1, 'another buyer goes on to Redis');
  s.sent[0].reply(decided({ outcome: Outcome.Success, orderId: s.sent[0].request.orderId, expiresAt: 1 }));
  t.match(await person, { kind: 'success' });
  void s.buy({ user: '' });
  t.same(s.asked, ['bot', 'bot', 'person'], 'anonymous purchases are not asked (nginx limits them per address)');
});

t.test('answers from shared memory alone take no token: a sold-out or not-open crowd costs no bucket CAS', async (t) => {
  const s = setup(5);
  s.limited.add('bot');
  s.stock.setOpen(0, false);
  t.match(await s.buy({ user: 'bot' }), { kind: 'not_open' }, 'not open: answered before the bucket');
  s.stock.setOpen(0, true);
  s.stock.setSoldOut(0, true);
  s.holders.learned('S', filterOf(0, ['holder']));
  t.match(await s.buy({ user: 'bot' }), { kind: 'sold_out' }, 'sold out, holds nothing: answered before the bucket');
  t.same(s.asked, [], 'the bucket was not asked for either');
  t.same(await s.buy({ user: 'bot', idempotencyKey: 'k1' }).then((v) => v.kind), 'sold_out', 'a key the index never saw: still memory');
  t.equal(s.startBuy({ user: 'holder' }), 'sent', 'a possible holder goes on to Redis');
  t.same(s.asked, ['holder'], 'the possible holder, who goes on to Redis, takes a token');
});

t.test('a code this version does not know is Redis trouble, never a sale: 503 material, its unit given back', async (t) => {
  const s = setup(5);
  const p = s.buy({ user: 'newer' });
  s.sent[0].reply({ outcome: 'unrecognized', code: -99, remaining: 40, ordersMade: 2 });
  t.same(await p, { kind: 'unexpected', sale: SALE, orderId: s.sent[0].request.orderId, outcome: '-99' });
  t.equal(s.stock.available(0), 5, 'its unit came back');
  t.equal(s.slots.inFlight(0), 0);
});
