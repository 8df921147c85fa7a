// Issue 17: lookups of orders that cannot exist cost PostgreSQL nothing. A real sale with retired orders in
// PostgreSQL; a flood of made-up order ids of that sale (a real sale id, a made-up suffix) and of a sale that
// exists nowhere, sent straight to a node: all 404 UNKNOWN_ORDER, and PostgreSQL's statement count
// (pg_stat_statements, every statement the database ran) moves by at most a handful. Real retired orders are
// still answered from PostgreSQL — of a sale Redis has, of a sale only PostgreSQL still has, of a legacy sale
// (made before order ids carried a tag) — and an id that passes the tag check costs one query however often
// it is asked. No order worker runs: the test carries orders into PostgreSQL itself, so nothing else queries.
import t from 'tap';
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newIdKey, newOrderId } from '../../src/sale/ids.js';
import { createPool } from '../../src/store/connection.js';
import { migrate } from '../../src/store/migrations.js';
import { OrderStore } from '../../src/store/order-store.js';
import { NodeProcess, http, keepAliveAgent, pool as inParallel } from '../helpers/node-process.js';
import { PostgresServer } from '../helpers/postgres-server.js';
import { RedisServer } from '../helpers/redis-server.js';
import { syncAndRetire as retireByHand } from '../helpers/retire-by-hand.js';

const ADMIN = 'made-up-admin-token';
const FLOOD = 2000;

const redisServer = await RedisServer.start({ args: ['--appendfsync', 'no'] });
t.teardown(() => redisServer.stop());
const pg = await PostgresServer.start({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
t.teardown(() => pg.stop());
const db = createPool(pg.url, { max: 1, connectionTimeoutMs: 2000, onError: () => {} });
t.teardown(() => db.end().catch(() => {}));
await migrate(db);
await db.query('create extension if not exists pg_stat_statements');
const store = new OrderStore(db);
const redis = (await connectRedisReady(redisServer.url, { commandTimeoutMs: 15_000 })) as Redis;
t.teardown(() => redis.disconnect());
const engine = new SaleEngine(redis);

// A legacy sale: created before order ids carried a tag, so its meta has no idKey. Written before the node
// starts, so the node learns it as it is.
await engine.createSale({ id: 'LEG', total: 50, perUserLimit: 5, holdSeconds: 900, anonymous: false });
await redis.hdel(saleKeys('LEG').meta, 'idKey');

// One uWS thread: the lookup's caches are per thread, so the counts below are one thread's.
const node = await NodeProcess.start({ redisUrl: redisServer.url, threads: 1, env: { ADMIN_TOKEN: ADMIN, DATABASE_URL: pg.url } });
t.teardown(() => node.stop());
const agent = keepAliveAgent(32);
t.teardown(() => agent.destroy());

const must = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`setup: ${what}`);
};
const created = await http(agent, 'POST', `${node.url}/admin/sales`, JSON.stringify({ id: 'MU', total: 50, perUserLimit: 5, holdSeconds: 900 }), {
  authorization: `Bearer ${ADMIN}`,
  'content-type': 'application/json',
});
must(created.status === 201, `create MU: ${created.body}`);
const buy = async (sale: string): Promise<string> => {
  const r = await http(agent, 'GET', `${node.url}/buy/ticket?sale=${sale}&user=alice`);
  must(r.json?.code === 1, `buy in ${sale}: ${r.body}`);
  return (r.json!.data as { orderId: string }).orderId;
};
const get = (id: string) => http(agent, 'GET', `${node.url}/orders/${id}`);

const syncAndRetire = (sale: string, ids: string[]) => retireByHand(engine, store, sale, ids);

const paidId = await buy('MU');
const cancelledId = await buy('MU');
const heldId = await buy('MU');
must((await http(agent, 'POST', `${node.url}/orders/${paidId}/pay`)).status === 200, 'pay');
must((await http(agent, 'POST', `${node.url}/orders/${cancelledId}/cancel`)).status === 200, 'cancel');
await syncAndRetire('MU', [paidId, cancelledId, heldId]);
const legacyPaid = await buy('LEG');
must((await http(agent, 'POST', `${node.url}/orders/${legacyPaid}/pay`)).status === 200, 'pay LEG');
await syncAndRetire('LEG', [legacyPaid]);
// A sale only PostgreSQL still has (its Redis copy lost): its sales row with the key, one paid order.
const lostKey = newIdKey();
const lostId = newOrderId('LOST', lostKey);
await store.upsertSale({ id: 'LOST', total: 5, perUserLimit: 1, holdSeconds: 900, anonymous: false }, lostKey);
await store.upsertOrders([{ orderId: lostId, saleId: 'LOST', userId: 'bob', status: 'paid', reservedAt: Date.now() - 1000, expiresAt: Date.now() + 1000, paidAt: Date.now() }]);

/** Statements PostgreSQL ran (pg_stat_statements, updated as each one ends): all of them, and the two lookups. */
async function statements(): Promise<{ all: number; orders: number; sales: number }> {
  const { rows } = await db.query<{ query: string; calls: string }>(`select query, calls from pg_stat_statements where query not ilike '%pg_stat_statements%'`);
  const sum = (re: RegExp) => rows.filter((r) => re.test(r.query)).reduce((n, r) => n + Number(r.calls), 0);
  return { all: sum(/./), orders: sum(/from orders where order_id = \$1/), sales: sum(/select sale_id, id_key from sales/) };
}
/** The statements `work` cost. */
async function cost(work: () => Promise<unknown>): Promise<{ all: number; orders: number; sales: number }> {
  const before = await statements();
  await work();
  await sleep(50); // the last answer's statement has ended by the time it is answered; a margin all the same
  const after = await statements();
  return { all: after.all - before.all, orders: after.orders - before.orders, sales: after.sales - before.sales };
}
const madeUp = (sale: string) => `${sale}.${randomBytes(16).toString('base64url')}`;
const unknownOrders = async (ids: string[]) => {
  const answers = await inParallel(32, ids.map((id) => () => get(id)));
  return answers.filter((a) => a.status !== 404 || a.json?.error !== 'UNKNOWN_ORDER').map((a) => `${a.status} ${a.body}`);
};

t.test(`${FLOOD} made-up ids of a real sale and of sales that exist nowhere: 404, and PostgreSQL is hardly asked`, async (t) => {
  t.ok((await redis.hget(saleKeys('MU').meta, 'retiredPaid')) === '1', 'the sale has retired orders (so a miss is not settled by Redis alone)');
  const ids = [...Array.from({ length: FLOOD }, () => madeUp('MU')), ...Array.from({ length: 500 }, (_, i) => madeUp(`NOSALE${i % 250}`))];
  let wrong: string[] = [];
  const spent = await cost(async () => (wrong = await unknownOrders(ids)));
  t.same(wrong, [], 'every one is 404 UNKNOWN_ORDER');
  t.comment(`PostgreSQL statements for ${ids.length} made-up ids: ${JSON.stringify(spent)}`);
  t.equal(spent.orders, 0, 'no order query: the tag of a real sale refuses a made-up suffix, an unknown sale has no orders');
  t.ok(spent.sales <= 1, `250 sales Redis does not know: the sales table was read once, not once per sale (${spent.sales})`);
  t.ok(spent.all <= 5, `at most a handful of statements in all (${spent.all})`);
});

t.test('a real retired order is still answered from PostgreSQL', async (t) => {
  const spent = await cost(async () => {
    t.match(await get(paidId), { status: 200, json: { data: { id: paidId, status: 'paid', sale: 'MU' } } });
    t.match(await http(agent, 'POST', `${node.url}/orders/${cancelledId}/pay`), { status: 409, json: { error: 'ORDER_CANCELLED' } }, 'pay of a retired cancelled order: as Redis answered');
  });
  t.equal(spent.orders, 2, 'one order query each (and the count sees them)');
  t.match(await get(heldId), { status: 200, json: { data: { status: 'held' } } }, 'a live order comes from Redis');
  t.match(await http(agent, 'POST', `${node.url}/orders/${madeUp('MU')}/pay`), { status: 404, json: { error: 'UNKNOWN_ORDER' } }, 'pay of a made-up id: 404');
});

t.test('an id that passes the tag check but was never sold costs one query, however often it is asked', async (t) => {
  const idKey = (await redis.hget(saleKeys('MU').meta, 'idKey'))!;
  const never = newOrderId('MU', idKey);
  const spent = await cost(async () => {
    for (let i = 0; i < 3; i++) t.match(await get(never), { status: 404, json: { error: 'UNKNOWN_ORDER' } });
    t.match(await http(agent, 'POST', `${node.url}/orders/${never}/cancel`), { status: 404 });
  });
  t.equal(spent.orders, 1, 'asked once, the miss remembered');
});

t.test('a sale only PostgreSQL has: its order answered, made-up ids of it refused by the stored key', async (t) => {
  const spent = await cost(async () => {
    t.match(await get(lostId), { status: 200, json: { data: { id: lostId, status: 'paid', user: 'bob' } } });
    t.same(await unknownOrders(Array.from({ length: 300 }, () => madeUp('LOST'))), []);
  });
  t.equal(spent.orders, 1, 'one order query (the real one)');
  t.ok(spent.sales <= 1, `and at most one read of the sales table (${spent.sales})`);
});

t.test('a legacy sale (no key): its retired order answered as before; a made-up id costs one query, once', async (t) => {
  t.equal(await redis.hget(saleKeys('LEG').meta, 'idKey'), null, 'no idKey in its meta');
  t.match(legacyPaid, /^LEG\.[A-Za-z0-9_-]{22}$/);
  const id = madeUp('LEG');
  const spent = await cost(async () => {
    t.match(await get(legacyPaid), { status: 200, json: { data: { status: 'paid' } } });
    t.match(await get(id), { status: 404 });
    t.match(await get(id), { status: 404 });
  });
  t.equal(spent.orders, 2, 'no tag to check: the real one and the made-up one, each once');
});

t.test('PostgreSQL down: made-up ids of a keyed sale are still 404 (no query needed); a real retired order is 503', async (t) => {
  await pg.kill();
  t.match(await get(madeUp('MU')), { status: 404, json: { error: 'UNKNOWN_ORDER' } });
  const down = await get(paidId);
  t.match(down, { status: 503, json: { error: 'ORDER_STORE_UNAVAILABLE' } }, 'the order may exist: 503, not 404');
  t.ok(down.headers['retry-after'] !== undefined, 'with Retry-After');
});
