// OrderLookup's gate in front of PostgreSQL (src/sale/order-lookup.ts), with a fake engine (what Redis said of
// an absent order) and a fake store that counts its queries: which misses cost a query, which are remembered,
// and the bounds of both caches (src/sale/ttl-cache.ts).
import t from 'tap';
import { EngineError } from '../../src/redis/codes.js';
import { newIdKey, newOrderId } from '../../src/sale/ids.js';
import { OrderLookup, OrderStoreUnavailable, type StoredOrderReader } from '../../src/sale/order-lookup.js';
import { TtlCache } from '../../src/sale/ttl-cache.js';
import type { OrderFound, OrderView } from '../../src/sale/types.js';

const KEY = newIdKey();
type AbsentSale = Extract<OrderFound, { kind: 'absent' }>['sale'];

function setup(options: { missEntries?: number } = {}) {
  let now = 1_000_000;
  /** What Redis says of each sale's absent orders; a sale not here is unknown to Redis. */
  const redisSales = new Map<string, NonNullable<AbsentSale>>();
  const pgSales = new Map<string, string | null>();
  const pgOrders = new Map<string, OrderView>();
  const queries = { orders: 0, sales: 0 };
  let down = false;
  const engine = {
    findOrder: async (orderId: string): Promise<OrderFound> => ({ kind: 'absent', sale: redisSales.get(orderId.split('.')[0]) ?? null }),
    pay: (orderId: string) => Promise.reject(new EngineError('ORDER_NOT_FOUND', `order ${orderId}: no such order`)),
    cancel: (orderId: string) => Promise.reject(new EngineError('ORDER_NOT_FOUND', `order ${orderId}: no such order`)),
  };
  const store: StoredOrderReader = {
    getOrder: async (orderId) => {
      queries.orders++;
      if (down) throw new Error('connection refused');
      return pgOrders.get(orderId) ?? null;
    },
    saleIdKeys: async () => {
      queries.sales++;
      if (down) throw new Error('connection refused');
      return new Map(pgSales);
    },
  };
  const lookup = new OrderLookup(engine, () => store, { ...options, now: () => now });
  const retiredOrder = (sale: string, key: string | null, status: OrderView['status'] = 'paid'): OrderView => {
    const order: OrderView = { id: newOrderId(sale, key), sale, user: 'u', status, expiresAt: 1 };
    pgOrders.set(order.id, order);
    return order;
  };
  return { lookup, redisSales, pgSales, queries, retiredOrder, advance: (ms: number) => (now += ms), setDown: (d: boolean) => (down = d) };
}

t.test('a sale Redis has: a foreign tag or nothing retired is 404 without a query', async (t) => {
  const s = setup();
  s.redisSales.set('S', { idKey: KEY, retired: 3 });
  const real = s.retiredOrder('S', KEY);
  for (let i = 0; i < 500; i++) t.equal(await s.lookup.getOrder(`S.${newOrderId('x').slice(2)}`), null);
  t.equal(s.queries.orders, 0, '500 made-up suffixes of a real, keyed sale: no query');
  t.same(await s.lookup.getOrder(real.id), real, 'a real retired order: asked, found');
  t.equal(s.queries.orders, 1);
  s.redisSales.set('Z', { idKey: KEY, retired: 0 });
  t.equal(await s.lookup.getOrder(newOrderId('Z', KEY)), null, 'a well-tagged id of a sale none of whose orders left Redis');
  t.equal(s.queries.orders, 1, 'no query: Redis has every order it ever made');
});

t.test('a miss that passes the gate is asked once, while no order of the sale left Redis since', async (t) => {
  const s = setup();
  s.redisSales.set('S', { idKey: KEY, retired: 3 });
  const never = newOrderId('S', KEY); // tagged right, never sold
  t.equal(await s.lookup.getOrder(never), null);
  t.equal(await s.lookup.getOrder(never), null);
  await t.rejects(s.lookup.pay(never), { code: 'ORDER_NOT_FOUND' });
  t.equal(s.queries.orders, 1, 'the same id three times: one query');
  const twin = newOrderId('S', KEY);
  await Promise.all([1, 2, 3].map(() => s.lookup.getOrder(twin)));
  t.equal(s.queries.orders, 2, 'concurrent lookups of one id share one query');
  s.redisSales.set('S', { idKey: KEY, retired: 4 });
  t.equal(await s.lookup.getOrder(never), null);
  t.equal(s.queries.orders, 3, 'an order left Redis since (retired 3 -> 4): asked again, it could be this one');
  s.advance(60_001);
  t.equal(await s.lookup.getOrder(never), null);
  t.equal(s.queries.orders, 4, 'after 60 s: asked again');
});

t.test('a legacy sale (no key): ids are not checked, misses still remembered', async (t) => {
  const s = setup();
  s.redisSales.set('OLD', { idKey: null, retired: 1 });
  const real = s.retiredOrder('OLD', null, 'cancelled');
  t.same(await s.lookup.getOrder(real.id), real);
  t.same(await s.lookup.cancel(real.id), real, 'cancel of a retired cancelled order returns it');
  t.equal(await s.lookup.getOrder('OLD.handwritten'), null);
  t.equal(await s.lookup.getOrder('OLD.handwritten'), null);
  t.equal(s.queries.orders, 3, 'each id asked once');
});

t.test('a sale Redis does not have: the sales table is read once per 5 s at most; unknown is 404 without an order query', async (t) => {
  const s = setup();
  for (let i = 0; i < 200; i++) t.equal(await s.lookup.getOrder(newOrderId('GONE', KEY)), null);
  t.same(s.queries, { orders: 0, sales: 1 }, '200 ids of a sale known nowhere: one sales query, no order query');
  for (let i = 0; i < 200; i++) t.equal(await s.lookup.getOrder(newOrderId(`GONE${i}`, KEY)), null);
  t.same(s.queries, { orders: 0, sales: 1 }, '200 made-up sale ids: no query more');
  await Promise.all([1, 2, 3].map((i) => s.lookup.getOrder(newOrderId(`NEW${i}`))));
  s.advance(5001);
  await Promise.all([1, 2, 3].map((i) => s.lookup.getOrder(newOrderId(`NEW${i}`))));
  t.same(s.queries, { orders: 0, sales: 2 }, 'after 5 s the table is read again, once for lookups waiting together');
  s.advance(5001);
  s.pgSales.set('LOST', KEY);
  const real = s.retiredOrder('LOST', KEY);
  t.same(await s.lookup.getOrder(real.id), real, 'a sale only PostgreSQL still has: its real order is answered');
  for (let i = 0; i < 100; i++) await s.lookup.getOrder(newOrderId('LOST'));
  t.same(s.queries, { orders: 1, sales: 3 }, "made-up ids of it fail the tag of the stored key: no order query, and a found sale stays found");
  s.advance(5001);
  s.pgSales.set('LOSTOLD', null);
  await s.lookup.getOrder('LOSTOLD.x');
  t.same(s.queries, { orders: 2, sales: 4 }, 'a legacy sale in PostgreSQL: no tag check, one order query');
});

t.test('PostgreSQL down: 503 for ids that pass the gate, nothing remembered; the gate still answers 404', async (t) => {
  const s = setup();
  s.redisSales.set('S', { idKey: KEY, retired: 3 });
  s.setDown(true);
  const id = newOrderId('S', KEY);
  await t.rejects(s.lookup.getOrder(id), OrderStoreUnavailable);
  await t.rejects(s.lookup.pay(id), { code: 'ORDER_STORE_UNAVAILABLE' });
  await t.rejects(s.lookup.getOrder(newOrderId('GONE')), { code: 'ORDER_STORE_UNAVAILABLE' }, 'a sale only PostgreSQL could know');
  t.equal(await s.lookup.getOrder('S.madeUpMadeUpMadeUpMade'), null, 'a made-up id of a keyed sale: 404 without PostgreSQL');
  s.setDown(false);
  t.equal(await s.lookup.getOrder(id), null, 'up again: asked (the failure was not remembered as a miss)');
  t.equal(await s.lookup.getOrder(newOrderId('GONE')), null);
  t.same(s.queries, { orders: 3, sales: 2 });
});

t.test('the miss cache is bounded: it drops its least recently used', async (t) => {
  const s = setup({ missEntries: 100 });
  s.redisSales.set('S', { idKey: null, retired: 1 });
  const ids = Array.from({ length: 150 }, (_, i) => `S.m${i}`);
  for (const id of ids) await s.lookup.getOrder(id);
  t.equal(s.queries.orders, 150);
  for (const id of ids.slice(50)) await s.lookup.getOrder(id);
  t.equal(s.queries.orders, 150, 'the 100 latest are remembered');
  await s.lookup.getOrder(ids[0]);
  t.equal(s.queries.orders, 151, 'the oldest was dropped');

  let now = 0;
  const cache = new TtlCache<number>(3, () => now);
  for (const k of ['a', 'b', 'c']) cache.set(k, 1, 100);
  t.equal(cache.get('a'), 1, 'a read makes "a" the most recent');
  cache.set('d', 1, 100);
  t.same([cache.get('b'), cache.get('a'), cache.get('c'), cache.get('d'), cache.size], [undefined, 1, 1, 1, 3], '"b" went: the least recently used');
  now = 100;
  t.equal(cache.get('a'), undefined, 'expired at its time to live');
  t.equal(cache.size, 2, 'and dropped');
  t.throws(() => new TtlCache(0), RangeError);
});
