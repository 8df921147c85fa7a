// A ticket admits one person (issue 17): POST /tickets/check-in with the gates' token records the first scan of
// a genuine ticket of a paid order atomically in Redis; every later scan — at another gate, on another node — is
// 409 ALREADY_CHECKED_IN with the first scan's time and gate. Unpaid and cancelled orders are refused, a forged
// ticket gets verify's codes, no token is 401, /tickets/verify stays read-only, the sale counts its check-ins,
// and the order worker carries the check-in into PostgreSQL — also for an order already retired there.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signTicket, type Ticket } from '../../src/tickets/format.js';
import { loadKeyDir, rotateKey, signingKey } from '../../src/tickets/keys.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { createPool } from '../../src/store/connection.js';
import { migrate } from '../../src/store/migrations.js';
import { NodeProcess, http, keepAliveAgent, pool as inParallel } from '../helpers/node-process.js';
import { PostgresServer } from '../helpers/postgres-server.js';
import { RedisServer } from '../helpers/redis-server.js';
import { WorkerProcess } from '../helpers/worker-process.js';

const ADMIN = 'check-in-admin-token';
const GATE = 'the-gates-token-0123';

t.test('check-in at the gate', async (t) => {
  const [redis, pg] = await Promise.all([RedisServer.start({ args: ['--appendfsync', 'no'] }), PostgresServer.start()]);
  t.teardown(() => Promise.all([redis.stop(), pg.stop()]));
  const keyDir = mkdtempSync(join(tmpdir(), 'ts-checkin-keys-'));
  t.teardown(() => rmSync(keyDir, { recursive: true, force: true }));
  const key = rotateKey(keyDir);
  // DATABASE_URL: a node reads an order that left Redis (retired) from PostgreSQL, as a gate's check-in needs.
  const env = { ADMIN_TOKEN: ADMIN, GATE_TOKEN: GATE, DATABASE_URL: pg.url };
  const [a, b] = await Promise.all([0, 1].map(() => NodeProcess.start({ redisUrl: redis.url, threads: 2, args: ['--ticket-keys', keyDir], env })));
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const agent = keepAliveAgent(16);
  t.teardown(() => agent.destroy());
  const json = { 'content-type': 'application/json' };
  t.equal((await http(agent, 'POST', `${a.url}/admin/sales`, JSON.stringify({ id: 'GIG', total: 40, perUserLimit: 2 }), { ...json, authorization: `Bearer ${ADMIN}` })).status, 201);
  const buy = async (user: string) => ((await http(agent, 'GET', `${a.url}/buy/ticket?sale=GIG&user=${user}`)).json?.data as { orderId: string }).orderId;
  const pay = async (orderId: string) => ((await http(agent, 'POST', `${a.url}/orders/${orderId}/pay`)).json?.data as { ticket: Ticket }).ticket;
  const checkIn = (ticket: unknown, gate: string, node = a, token: string | null = GATE) =>
    http(agent, 'POST', `${node.url}/tickets/check-in`, JSON.stringify({ ticket, gate }), token === null ? json : { ...json, authorization: `Bearer ${token}` });
  /** What a holder of the signing key could sign for any order: a ticket whose order is not paid. */
  const forge = (order: { id: string; user: string }) => signTicket({ ...order, sale: 'GIG', paidAt: Date.now() }, signingKey(loadKeyDir(keyDir), key.kid));

  t.test('the first scan admits; every later one is 409 with the first gate, on any node', async (t) => {
    const orderId = await buy('alice');
    const ticket = await pay(orderId);
    const first = await checkIn(ticket, 'G1');
    t.match(first, { status: 200, json: { code: 1, msg: 'checked in', data: { orderId, gate: 'G1' } } });
    const at = (first.json?.data as { checkedInAt: number }).checkedInAt;
    t.ok(Math.abs(at - Date.now()) < 60_000, 'checkedInAt is now (Redis clock)');
    for (const [gate, node] of [['G2', b], ['G1', a], ['G3', b]] as const) {
      const again = await checkIn(ticket, gate, node);
      t.match(again, { status: 409, json: { error: 'ALREADY_CHECKED_IN', data: { orderId, checkedInAt: at, gate: 'G1' } } }, `a second scan at ${gate}: 409, first gate G1`);
    }
    t.match((await http(agent, 'POST', `${b.url}/tickets/verify`, JSON.stringify({ ticket }), json)).json, { code: 1 }, 'verify stays a read-only check');
  });

  t.test('a screenshot shown at ten gates at once admits exactly one person', async (t) => {
    const ticket = await pay(await buy('bob'));
    const scans = await inParallel(10, Array.from({ length: 10 }, (_, i) => () => checkIn(ticket, `G${i}`, i % 2 === 0 ? a : b)));
    t.equal(scans.filter((s) => s.status === 200 && s.json?.code === 1).length, 1, 'one admitted');
    t.equal(scans.filter((s) => s.status === 409).length, 9, 'nine refused');
  });

  t.test('unpaid, cancelled, forged, no token: refused', async (t) => {
    const held = await buy('carol');
    t.match(await checkIn(forge({ id: held, user: 'carol' }), 'G1'), { status: 409, json: { error: 'ORDER_NOT_PAID', data: { status: 'held' } } }, 'a held order: refused');
    const cancelled = await buy('carol');
    await http(agent, 'POST', `${a.url}/orders/${cancelled}/cancel`);
    t.match(await checkIn(forge({ id: cancelled, user: 'carol' }), 'G1'), { status: 409, json: { error: 'ORDER_CANCELLED' } }, 'a cancelled order: refused');
    const ticket = await pay(await buy('dave'));
    const tampered = { ...ticket, payload: ticket.payload.replace('"user":"dave"', '"user":"eve"') };
    t.match(await checkIn(tampered, 'G1'), { status: 200, json: { code: -21, msg: 'bad_signature' } }, 'a forged ticket: verify\'s code');
    t.match(await checkIn(ticket, 'G1', a, null), { status: 401, json: { error: 'UNAUTHORIZED' } }, 'no token: 401');
    t.match(await checkIn(ticket, 'G1', a, 'a-wrong-token-0123456'), { status: 401 }, 'a wrong token: 401');
    t.match(await checkIn(ticket, 'bad gate!'), { status: 400, json: { error: 'BAD_GATE' } }, 'a gate name with spaces: 400');
    t.match(await checkIn(ticket, 'G1', a, ADMIN), { status: 200, json: { code: 1 } }, 'the admin token works too, and none of the refused scans counted');
    const sale = (await http(agent, 'GET', `${a.url}/sales/GIG`)).json?.data as { checkedIn: number };
    t.equal(sale.checkedIn, 3, 'the sale counts its check-ins (alice, bob, dave)');
  });

  t.test('the order worker carries check-ins into PostgreSQL, also for an order already retired there', async (t) => {
    const early = await buy('frank');
    const earlyTicket = await pay(early);
    const worker = WorkerProcess.start(redis.url, pg.url, ['--idle-ms', '50']);
    t.teardown(() => worker.kill('SIGTERM'));
    const db = createPool(pg.url, { connectionTimeoutMs: 2000 });
    t.teardown(() => db.end().catch(() => {}));
    await migrate(db); // the worker migrates too, under the same advisory lock: whoever comes first
    const row = async (id: string) =>
      (await db.query<{ status: string; checked_in_at: Date | null; checked_in_gate: string | null }>('select status, checked_in_at, checked_in_gate from orders where order_id = $1', [id])).rows[0];
    const until = async (what: string, ok: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await ok()); i++) await sleep(50);
      t.ok(await ok(), what, { worker: worker.output.slice(-2000) });
    };
    // frank's paid order reaches PostgreSQL and leaves Redis before his ticket is scanned.
    await until('the paid order is in PostgreSQL', async () => (await row(early))?.status === 'paid');
    const client = await connectRedisReady(redis.url);
    t.teardown(() => client.disconnect());
    await until('and retired from Redis', async () => (await client.hexists(saleKeys('GIG').orders, early)) === 0);
    const scanned = await checkIn(earlyTicket, 'NORTH');
    t.match(scanned, { status: 200, json: { code: 1 } }, 'a retired order (read from PostgreSQL) is checked in');
    await until('its check-in reaches PostgreSQL', async () => (await row(early))?.checked_in_gate === 'NORTH');
    t.match(await checkIn(earlyTicket, 'SOUTH', b), { status: 409, json: { data: { gate: 'NORTH' } } }, 'and is refused the second time');
    const alice = (await db.query<{ order_id: string; checked_in_gate: string }>("select order_id, checked_in_gate from orders where user_id = 'alice'")).rows;
    t.same(alice.map((r) => r.checked_in_gate), ['G1'], "alice's first gate is the one PostgreSQL keeps");
  });
});
