// Issue 19: when Redis lost a sale entirely, `ticket-spike sale restore` rebuilds it from PostgreSQL (the system of
// record, fed by a real order worker): its counters, live holds (still payable, still due to expire), holders,
// idempotency records and check-ins — so held + paid never exceeds total, a holder's retry replays their order
// instead of buying again, and no sold seat sells a second time. Also when every key of every sale is gone
// (--all). A sale Redis has is never restored over.
import t from 'tap';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { Outcome } from '../../src/redis/codes.js';
import { saleKeys } from '../../src/redis/keys.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { createPool } from '../../src/store/connection.js';
import { migrate } from '../../src/store/migrations.js';
import { OrderStore } from '../../src/store/order-store.js';
import { fieldsOf, orderIdOf } from '../helpers/purchase-results.js';
import { PostgresServer } from '../helpers/postgres-server.js';
import { RedisServer } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';
import { WorkerProcess } from '../helpers/worker-process.js';
import { NodeProcess, http, keepAliveAgent } from '../helpers/node-process.js';
import { DEMO_SALE, ensureDemoSale } from '../../src/launcher/demo-sale.js';

const [redisServer, pg] = await Promise.all([RedisServer.start({ args: ['--appendfsync', 'no'] }), PostgresServer.start()]);
t.teardown(() => Promise.all([redisServer.stop(), pg.stop()]));
const redis = (await connectRedisReady(redisServer.url, { commandTimeoutMs: 10_000 })) as Redis;
t.teardown(() => redis.disconnect());
const engine = new SaleEngine(redis);
const pool = createPool(pg.url);
t.teardown(() => pool.end());
await migrate(pool);
const store = new OrderStore(pool);
const worker = WorkerProcess.start(redisServer.url, pg.url, ['--idle-ms', '20']);
t.teardown(() => worker.kill('SIGTERM'));

const buy = async (sale: string, user: string, key: string) =>
  (await engine.reserveBatch(sale, newBatchId(), [{ orderId: newOrderId(sale), user, idempotencyKey: key }])).results[0];

/** Until PostgreSQL has every order of the sale in the status Redis has it (the worker carried them). */
async function synced(sale: string, expected: Record<string, string>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const rows = await pool.query<{ order_id: string; status: string }>('select order_id, status from orders where sale_id = $1', [sale]);
    const have = new Map(rows.rows.map((r) => [r.order_id, r.status === 'reserved' ? 'held' : r.status]));
    if (Object.entries(expected).every(([id, status]) => have.get(id) === status)) return;
    await sleep(50);
  }
  throw new Error(`PostgreSQL did not catch up with sale ${sale}`);
}

/** Every key of the sale gone, as when Redis lost it: its own keys, its registry place, its discovery entry. */
async function lose(sale: string): Promise<void> {
  const keys = Object.values(saleKeys(sale));
  await redis.del(...keys);
  await redis.zrem('{ts:registry}:places', sale);
  await redis.srem('ts:sales', sale);
}

t.test('a sale lost from Redis comes back from PostgreSQL, and sells on without selling a seat twice', async (t) => {
  await engine.createSale({ id: 'RS', total: 6, perUserLimit: 1, holdSeconds: 600, anonymous: false });
  const ids: Record<string, string> = {};
  for (const user of ['ann', 'bob', 'cy', 'dee', 'eve']) ids[user] = orderIdOf(await buy('RS', user, `key-${user}`));
  await engine.pay(ids.ann);
  await engine.pay(ids.bob);
  await engine.cancel(ids.cy);
  await engine.checkIn((await engine.getOrder(ids.ann))!, 'G1');
  await synced('RS', { [ids.ann]: 'paid', [ids.bob]: 'paid', [ids.cy]: 'cancelled', [ids.dee]: 'held', [ids.eve]: 'held' });
  // The worker retires final orders: let it, so the restore also meets orders already retired in Redis.
  await sleep(300);
  await lose('RS');
  t.equal(await engine.status('RS'), null, 'Redis has lost the sale');
  t.match((await buy('RS', 'ann', 'key-ann')).outcome, Outcome.UnknownSale, 'nothing sells meanwhile');

  const run = await runCli(['sale', 'restore', '--sale', 'RS', '--redis', redisServer.url], { DATABASE_URL: pg.url });
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /restored sale RS: 6 tickets, 2 held, 2 paid, 1 cancelled, 0 expired/);
  t.match(await engine.status('RS'), { total: 6, held: 2, paid: 2, remaining: 2, ordersMade: 5 }, 'the counters: held + paid as PostgreSQL has them');
  const audit = await engine.audit('RS');
  t.ok(audit.ok, `the audit closes after the restore: ${JSON.stringify(audit.problems)}`);

  const annAgain = await buy('RS', 'ann', 'key-ann');
  t.match(fieldsOf(annAgain), { outcome: Outcome.Success, replayed: true, orderId: ids.ann, status: 'paid' }, "ann's retry replays her paid order");
  t.notOk(fieldsOf(annAgain).byUser, 'found by her key (its record came back), not by her name');
  const deeAgain = await buy('RS', 'dee', 'key-dee');
  t.match(fieldsOf(deeAgain), { outcome: Outcome.Success, replayed: true, orderId: ids.dee, status: 'held' }, "dee's retry replays her hold");
  const bobNewKey = await buy('RS', 'bob', 'another-key');
  t.match(fieldsOf(bobNewKey), { replayed: true, orderId: ids.bob }, 'bob, at his limit of 1, gets his order back, not a second seat');
  t.match(await engine.pay(ids.dee), { status: 'paid' }, "dee's restored hold can still be paid");
  t.equal((await redis.hget(saleKeys('RS').checkins, ids.ann))?.endsWith('|G1'), true, "ann's check-in came back");
  const newcomers = await Promise.all(['f', 'g', 'h'].map((u) => buy('RS', u, `key-${u}`)));
  t.same(newcomers.map((r) => r.outcome).sort(), [Outcome.Success, Outcome.Success, Outcome.SoldOut].sort(), 'the two free seats sell, the third buyer hears sold out');
  t.match(await engine.status('RS'), { held: 3, paid: 3, remaining: 0 }, 'six seats, six buyers: none sold twice');
  t.ok((await engine.audit('RS')).ok);

  const again = await runCli(['sale', 'restore', '--sale', 'RS', '--redis', redisServer.url], { DATABASE_URL: pg.url });
  t.equal(again.code, 1, 'a sale Redis has is not restored over');
  t.match(again.stderr, /sale RS is in Redis: there is nothing to restore/);
});

t.test('every copy of Redis lost: --all rebuilds every sale PostgreSQL has', async (t) => {
  await engine.createSale({ id: 'RA', total: 3, perUserLimit: 2, holdSeconds: 600, anonymous: false });
  const a = orderIdOf(await buy('RA', 'zed', 'k1'));
  await synced('RA', { [a]: 'held' });
  await synced('RS', {});
  await worker.kill('SIGTERM');
  await redis.flushall();
  const run = await runCli(['sale', 'restore', '--all', '--redis', redisServer.url], { DATABASE_URL: pg.url });
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /restored sale RA: 3 tickets, 1 held/);
  t.match(run.stdout, /restored sale RS: 6 tickets/);
  t.match(await engine.status('RA'), { held: 1, remaining: 2 });
  const zedAgain = await buy('RA', 'zed', 'k1');
  t.match(fieldsOf(zedAgain), { replayed: true, orderId: a }, 'zed (limit 2) retries his key: the same order, not a second seat');
  t.match(await engine.status('RA'), { held: 1 });
  t.same((await engine.listSales()).filter((s) => s === 'RA' || s === 'RS'), ['RA', 'RS'], 'both are listed again');
  t.ok((await engine.audit('RA')).ok);
  t.equal((await store.countByStatus('RA')).held, 1);
  const unknown = await runCli(['sale', 'restore', '--sale', 'NOPE', '--redis', redisServer.url], { DATABASE_URL: pg.url });
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /PostgreSQL has no such sale/);
});

t.test('a sale PostgreSQL has and Redis lost is never created afresh: not by up, not by the admin route', async (t) => {
  await store.upsertSale({ id: 'demo', total: 10_000, perUserLimit: 1, holdSeconds: 900, anonymous: true });
  await t.rejects(
    ensureDemoSale(redisServer.url, { ...DEMO_SALE, total: 100 }, pg.url),
    /demo sale "demo" failed: sale demo is not in Redis but PostgreSQL has it \(Redis lost it\): rebuild it with `ticket-spike sale restore --sale demo`/,
    "up's demo sale",
  );
  t.equal(await engine.status('demo'), null, 'nothing was created');
  t.equal(await ensureDemoSale(redisServer.url, { ...DEMO_SALE, id: 'demo2', total: 100 }), 'created', 'a sale PostgreSQL does not know is created as before');
  const node = await NodeProcess.start({ redisUrl: redisServer.url, threads: 1, env: { ADMIN_TOKEN: 'restore-admin-token', DATABASE_URL: pg.url } });
  t.teardown(() => node.stop());
  const agent = keepAliveAgent(2);
  t.teardown(() => agent.destroy());
  const created = await http(agent, 'POST', `${node.url}/admin/sales`, JSON.stringify({ id: 'RS', total: 50 }), {
    'content-type': 'application/json',
    authorization: 'Bearer restore-admin-token',
  });
  t.match(created, { status: 409, json: { error: 'SALE_EXISTS' } }, 'RS is in Redis again (restored above): a create of it is the usual "exists"');
  await lose('RS');
  const refused = await http(agent, 'POST', `${node.url}/admin/sales`, JSON.stringify({ id: 'RS', total: 50 }), {
    'content-type': 'application/json',
    authorization: 'Bearer restore-admin-token',
  });
  t.match(refused, { status: 409, json: { error: 'SALE_IN_STORE', msg: /ticket-spike sale restore --sale RS/ } }, 'the admin route: 409, naming the restore');
  const cli = await runCli(['sale', 'create', '--id', 'RS', '--total', '5', '--redis', redisServer.url], { DATABASE_URL: pg.url });
  t.equal(cli.code, 1, 'sale create: exit 1');
  t.match(cli.stderr, /^SALE_IN_STORE: sale RS is not in Redis but PostgreSQL has it/);
});
