// Orders that left Redis (issue 11): the test plays the order worker (upsert into PostgreSQL, then retire from
// Redis) and checks that GET /orders/{id}, pay and cancel answer retired orders from PostgreSQL with the same
// buyer rules and the answers Redis gave for final orders, that a PostgreSQL that does not answer is a 503 (the
// order may exist), that /metrics shows the workers' lag, and that `audit --database` compares PostgreSQL with
// Redis once the worker has caught up.
import t from 'tap';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSigner } from 'fast-jwt';
import { connectRedisReady } from '../../src/redis/connection.js';
import { ack, ensureOrderGroup, readNew } from '../../src/redis/order-stream.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { createPool } from '../../src/store/connection.js';
import { migrate } from '../../src/store/migrations.js';
import { OrderStore } from '../../src/store/order-store.js';
import { NodeProcess, http, keepAliveAgent } from '../helpers/node-process.js';
import { PostgresServer } from '../helpers/postgres-server.js';
import { RedisServer } from '../helpers/redis-server.js';
import { syncAndRetire as retireByHand } from '../helpers/retire-by-hand.js';
import { runCli } from '../helpers/run-cli.js';

const ADMIN = 'fallback-admin-token';
const SECRET = 'a-shared-hs256-secret-of-32-chars!!';

const redisServer = await RedisServer.start({ args: ['--appendfsync', 'no'] });
t.teardown(() => redisServer.stop());
const pg = await PostgresServer.start();
t.teardown(() => pg.stop());
const pool = createPool(pg.url, { connectionTimeoutMs: 2000 });
t.teardown(() => pool.end().catch(() => {}));
await migrate(pool);
const store = new OrderStore(pool);
const redis = (await connectRedisReady(redisServer.url, { commandTimeoutMs: 15_000 })) as Redis;
t.teardown(() => redis.disconnect());
const engine = new SaleEngine(redis);

const env = { ADMIN_TOKEN: ADMIN, DATABASE_URL: pg.url };
const [plain, authed] = await Promise.all([
  NodeProcess.start({ redisUrl: redisServer.url, threads: 1, env }),
  NodeProcess.start({ redisUrl: redisServer.url, threads: 1, env: { ...env, JWT_SECRET: SECRET } }),
]);
t.teardown(() => Promise.all([plain.stop(), authed.stop()]));
const agent = keepAliveAgent(4);
t.teardown(() => agent.destroy());

const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const createSale = async (id: string, holdSeconds: number) => {
  const r = await http(agent, 'POST', `${plain.url}/admin/sales`, JSON.stringify({ id, total: 50, perUserLimit: 5, holdSeconds }), admin);
  if (r.status !== 201) throw new Error(`create ${id}: ${r.status} ${r.body}`);
};
const buy = async (sale: string, user: string): Promise<string> => {
  const r = await http(agent, 'GET', `${plain.url}/buy/ticket?sale=${sale}&user=${user}`);
  if (r.json?.code !== 1) throw new Error(`buy in ${sale}: ${r.body}`);
  return (r.json.data as { orderId: string }).orderId;
};
const get = (base: string, id: string, headers: Record<string, string> = {}) => http(agent, 'GET', `${base}/orders/${id}`, undefined, headers);
const post = (base: string, id: string, what: 'pay' | 'cancel', headers: Record<string, string> = {}) =>
  http(agent, 'POST', `${base}/orders/${id}/${what}`, undefined, headers);

const syncAndRetire = (sale: string, ids: string[]) => retireByHand(engine, store, sale, ids);

await createSale('FB', 900);
await createSale('FBX', 1);
const paidId = await buy('FB', 'alice');
const cancelledId = await buy('FB', 'alice');
const heldId = await buy('FB', 'alice');
const otherHeld = await buy('FB', 'carol');
const expiredId = await buy('FBX', 'alice');
// (No assertion before the first subtest: tap would end the file's test at the first idle moment after one.)
const must = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`setup: ${what}`);
};
must((await post(plain.url, paidId, 'pay')).status === 200, 'pay');
must((await post(plain.url, cancelledId, 'cancel')).status === 200, 'cancel');
await sleep(1100);
await engine.expireDue('FBX');
must((await engine.getOrder(expiredId))?.status === 'expired', 'the FBX hold expired');
await syncAndRetire('FB', [paidId, cancelledId, heldId, otherHeld]);
await syncAndRetire('FBX', [expiredId]);

t.test('GET /orders/{id} of a retired order answers from PostgreSQL', async (t) => {
  t.equal(await engine.getOrder(paidId), null, 'the paid order has left Redis');
  t.equal(await engine.getOrder(cancelledId), null, 'the cancelled order has left Redis');
  t.match(await get(plain.url, paidId), { status: 200, json: { code: 1, data: { id: paidId, user: 'alice', status: 'paid', sale: 'FB' } } });
  t.match(await get(plain.url, cancelledId), { status: 200, json: { data: { id: cancelledId, status: 'cancelled' } } });
  t.match(await get(plain.url, expiredId), { status: 200, json: { data: { status: 'expired' } } });
  t.match(await get(plain.url, heldId), { status: 200, json: { data: { status: 'held' } } }, 'a live order still comes from Redis');
  t.match(await get(plain.url, 'FB.neverMadeNeverMadeNever1'), { status: 404, json: { error: 'UNKNOWN_ORDER' } }, 'in neither: 404');
});

t.test("a retired paid order still has its e-ticket, and the ticket still verifies", async (t) => {
  const res = await fetch(`${plain.url}/tickets/${paidId}`);
  t.equal(res.status, 200, 'GET /tickets of a retired paid order');
  const ticket = ((await res.json()) as { data?: { ticket?: unknown } }).data?.ticket;
  const verify = await fetch(`${plain.url}/tickets/verify`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ticket }) });
  t.match(await verify.json(), { code: 1 }, 'verify finds the order paid (in PostgreSQL)');
  t.equal((await fetch(`${plain.url}/tickets/${cancelledId}`)).status, 409, 'a retired cancelled order has none');
});

t.test('with buyer authentication, only the buyer reads or cancels a retired order', async (t) => {
  const sign = createSigner({ key: SECRET, algorithm: 'HS256' });
  const token = async (sub: string) => ({ authorization: `Bearer ${sign({ sub, exp: Math.floor(Date.now() / 1000) + 600 })}` });
  t.match(await get(authed.url, paidId, await token('alice')), { status: 200, json: { data: { status: 'paid' } } }, 'the buyer: 200');
  t.match(await get(authed.url, paidId, await token('bob')), { status: 403, json: { error: 'NOT_YOUR_ORDER' } }, 'another buyer: 403');
  t.match(await post(authed.url, cancelledId, 'cancel', await token('bob')), { status: 403, json: { error: 'NOT_YOUR_ORDER' } });
  t.match(await post(authed.url, cancelledId, 'cancel', await token('alice')), { status: 200, json: { data: { status: 'cancelled' } } });
  t.match(await get(authed.url, paidId), { status: 401 }, 'no token: 401');
});

t.test('pay and cancel of a retired order answer from its final status, as Redis did', async (t) => {
  t.match(await post(plain.url, paidId, 'pay'), { status: 200, json: { code: 1, data: { id: paidId, status: 'paid' } } }, 'paying a paid order returns it');
  t.match(await post(plain.url, paidId, 'cancel'), { status: 409, json: { error: 'ORDER_PAID' } });
  t.match(await post(plain.url, cancelledId, 'cancel'), { status: 200, json: { data: { status: 'cancelled' } } }, 'cancelling again returns it');
  t.match(await post(plain.url, cancelledId, 'pay'), { status: 409, json: { error: 'ORDER_CANCELLED' } });
  t.match(await post(plain.url, expiredId, 'pay'), { status: 409, json: { error: 'HOLD_EXPIRED' } });
  t.match(await post(plain.url, expiredId, 'cancel'), { status: 409, json: { error: 'HOLD_EXPIRED' } });
  t.match(await post(plain.url, 'FB.neverMadeNeverMadeNever1', 'pay'), { status: 404, json: { error: 'UNKNOWN_ORDER' } });
  t.equal(await engine.getOrder(paidId), null, 'nothing was written back to Redis');
});

t.test('/metrics shows how far the order workers are behind', async (t) => {
  await ensureOrderGroup(redis, 'FB');
  const read = await readNew(redis, 'FB', 'test-worker', 2);
  t.equal(read.length, 2, 'two entries read, not acknowledged');
  const entries = await redis.xlen('{sale:FB}:stream');
  const gauge = (text: string, name: string) => new RegExp(`^${name}\\{[^}]*sale="FB"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1];
  let text = '';
  for (const deadline = Date.now() + 6000; Date.now() < deadline; await sleep(200)) {
    text = (await http(agent, 'GET', `${plain.url}/metrics`)).body;
    if (gauge(text, 'ticket_spike_orders_pending') === '2') break;
  }
  t.equal(gauge(text, 'ticket_spike_orders_pending'), '2', 'pending');
  t.equal(gauge(text, 'ticket_spike_orders_unread'), String(entries - 2), 'unread');
  t.ok(Number(gauge(text, 'ticket_spike_orders_oldest_age_seconds')) > 0, 'the oldest entry has an age');
  t.notOk(/ticket_spike_orders_pending\{[^}]*sale="FBX"/.test(text), 'a sale without a worker group has no lag gauges');
});

/** Everything read and acknowledged: the worker has caught up. */
async function catchUp(): Promise<void> {
  for (const sale of ['FB', 'FBX']) {
    await ensureOrderGroup(redis, sale);
    for (;;) {
      const entries = await readNew(redis, sale, 'test-worker', 100);
      if (entries.length === 0) break;
      await ack(redis, sale, entries.map((e) => e.id));
    }
    const pending = (await redis.xpending(`{sale:${sale}}:stream`, 'orders')) as [number, ...unknown[]];
    const stale = pending[0] > 0 ? ((await redis.xpending(`{sale:${sale}}:stream`, 'orders', '-', '+', 1000)) as [string][]) : [];
    await ack(redis, sale, stale.map((p) => p[0]));
  }
}

interface Audited {
  ok: boolean;
  database: { compared: boolean; rows: number; mismatches: number; problems: string[]; notes: string[] };
}
const audit = async (sale = 'FB') => {
  // The URL carries a password: by the variable, never argv.
  const run = await runCli(['audit', '--sale', sale, '--json', '--progress', '0', '--redis', redisServer.url], { DATABASE_URL: pg.url });
  let report: Audited | undefined;
  try {
    report = JSON.parse(run.stdout) as Audited;
  } catch {
    report = undefined;
  }
  return { code: run.code, report, stderr: run.stderr };
};

t.test('audit --database compares PostgreSQL with Redis once the worker caught up', async (t) => {
  await catchUp();
  const equal = await audit();
  t.equal(equal.code, 0, equal.stderr);
  t.match(equal.report, { ok: true, database: { compared: true, rows: 4, mismatches: 0, problems: [] } }, 'equal: ok');

  await pool.query(`update orders set status = 'paid', paid_at = now() where order_id = $1`, [otherHeld]);
  const changed = await audit();
  t.equal(changed.code, 1, 'a status changed in PostgreSQL: exit 1');
  t.match(changed.report?.database, { compared: true, mismatches: 1 });
  t.ok(changed.report?.database.problems.some((p) => p.includes(otherHeld) && /held in Redis but paid in PostgreSQL/.test(p)), 'names the order');
  t.ok(changed.report?.database.problems.some((p) => /paid orders in PostgreSQL/.test(p)), 'and the counts differ');
  await pool.query(`update orders set status = 'reserved', paid_at = null where order_id = $1`, [otherHeld]);

  await pool.query('delete from orders where order_id = $1', [otherHeld]);
  const deleted = await audit();
  t.equal(deleted.code, 1, 'a row deleted: exit 1');
  t.ok(deleted.report?.database.problems.some((p) => /1 orders in Redis have no row/.test(p)), deleted.report?.database.problems.join('; ') ?? 'no report');
  await syncAndRetire('FB', [otherHeld]);
  t.equal((await audit()).code, 0, 'restored: ok again');

  await buy('FB', 'dave');
  const behind = await audit();
  t.equal(behind.code, 0, 'worker behind: no failure');
  t.match(behind.report?.database, { compared: false, problems: [] });
  t.ok(behind.report?.database.notes.some((n) => /order worker behind \(0 pending, 1 unread\): PostgreSQL not compared/.test(n)), behind.report?.database.notes.join('; ') ?? 'no report');
});

t.test('PostgreSQL down: a retired order is 503, not 404 (it may exist)', async (t) => {
  await pg.kill();
  const down = await get(plain.url, paidId);
  t.match(down, { status: 503, json: { error: 'ORDER_STORE_UNAVAILABLE' } });
  t.ok(down.headers['retry-after'] !== undefined, 'with Retry-After');
  t.match(await post(plain.url, paidId, 'pay'), { status: 503, json: { error: 'ORDER_STORE_UNAVAILABLE' } }, 'pay too');
  t.match(await get(plain.url, heldId), { status: 200, json: { data: { status: 'held' } } }, 'orders in Redis are still answered');
  const audited = await audit();
  t.equal(audited.code, 3, 'audit --database with PostgreSQL down: could not audit');
});
