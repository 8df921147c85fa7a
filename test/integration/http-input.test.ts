import t from 'tap';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { RedisServer, scriptCalls } from '../helpers/redis-server.js';
import { NodeProcess, http, keepAliveAgent, pool } from '../helpers/node-process.js';

// One node, one thread (so two requests with the same Idempotency-Key meet on the same thread), background
// loops off (--reconcile-ms 0 --sweep-ms 0 --refresh-ms 0) so that every script call Redis counts comes from
// a purchase, and a 30 ms batch window so a purchase stays in flight long enough to collide with a second one.
const TOKEN = 'input-test-token';

t.test('bad input gets a clear 4xx; sold out is answered without Redis; aborts do not hurt', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const node = await NodeProcess.start({
    redisUrl: redis.url,
    threads: 1,
    args: ['--reconcile-ms', '0', '--sweep-ms', '0', '--refresh-ms', '0', '--batch-window-ms', '30', '--id', 'input-node'],
    env: { ADMIN_TOKEN: TOKEN },
  });
  t.teardown(() => node.stop());
  const agent = keepAliveAgent(50);
  t.teardown(() => agent.destroy());
  const admin = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
  const json = { 'content-type': 'application/json' };
  const base = node.url;

  for (const sale of [
    { id: 'IN1', total: 1000, perUserLimit: 1, holdSeconds: 900, anonymous: false },
    { id: 'SOLD5', total: 5, perUserLimit: 1, holdSeconds: 900, anonymous: true },
  ]) {
    const res = await http(agent, 'POST', `${base}/admin/sales`, JSON.stringify(sale), admin);
    t.equal(res.status, 201, `created ${sale.id}`);
  }

  t.test('each bad input -> its status, a stable error code and a message', async (t) => {
    const cases: Array<[string, string, string | undefined, Record<string, string>, number, string]> = [
      ['GET', '/nope', undefined, {}, 404, 'NOT_FOUND'],
      ['DELETE', '/buy/ticket', undefined, {}, 405, 'METHOD_NOT_ALLOWED'],
      ['PUT', '/orders/IN1.abc', undefined, {}, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/orders/IN1.abc/pay', undefined, {}, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/buy/ticket?user=a%20b&sale=IN1', undefined, {}, 400, 'BAD_USER'],
      ['GET', `/buy/ticket?user=${'u'.repeat(65)}&sale=IN1`, undefined, {}, 400, 'BAD_USER'],
      ['GET', '/buy/ticket?user=%3Cscript%3E&sale=IN1', undefined, {}, 400, 'BAD_USER'],
      ['GET', '/buy/ticket?user=u1&sale=bad!id', undefined, {}, 400, 'BAD_SALE'],
      ['GET', `/buy/ticket?user=u1&sale=${'s'.repeat(49)}`, undefined, {}, 400, 'BAD_SALE'],
      ['GET', '/buy/ticket?user=u1&sale=NOPE', undefined, {}, 404, 'UNKNOWN_SALE'],
      ['GET', '/buy/ticket?sale=IN1', undefined, {}, 400, 'USER_REQUIRED'],
      ['GET', '/buy/ticket?user=u1&sale=IN1', undefined, { 'idempotency-key': 'has space' }, 400, 'BAD_IDEMPOTENCY_KEY'],
      ['POST', '/buy/ticket', '{"user":"u1","sale":"IN1"}', {}, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST', '/buy/ticket', '{"user":"u1","sale":"IN1"}', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST', '/buy/ticket', '{bad json', json, 400, 'BAD_JSON'],
      ['POST', '/buy/ticket', '', json, 400, 'BAD_JSON'],
      ['POST', '/buy/ticket', '[1,2]', json, 400, 'BAD_JSON'],
      ['POST', '/buy/ticket', '{"user":5,"sale":"IN1"}', json, 400, 'BAD_USER'],
      ['POST', '/buy/ticket', '{"user":"u1","sale":["IN1"]}', json, 400, 'BAD_SALE'],
      ['POST', '/buy/ticket', JSON.stringify({ user: 'u1', sale: 'IN1', pad: 'x'.repeat(5000) }), json, 413, 'BODY_TOO_LARGE'],
      ['GET', '/orders/not-an-order', undefined, {}, 400, 'BAD_ORDER_ID'],
      ['GET', '/orders/IN1.nosuchorder', undefined, {}, 404, 'UNKNOWN_ORDER'],
      ['POST', '/orders/IN1.nosuchorder/pay', undefined, {}, 404, 'UNKNOWN_ORDER'],
      ['POST', '/orders/IN1.nosuchorder/cancel', undefined, {}, 404, 'UNKNOWN_ORDER'],
      ['GET', '/sales/NOPE', undefined, {}, 404, 'UNKNOWN_SALE'],
      ['GET', '/sales/bad!id', undefined, {}, 400, 'BAD_SALE'],
      ['POST', '/admin/sales', '{"id":"A1","total":1}', json, 401, 'UNAUTHORIZED'],
      ['POST', '/admin/sales', '{"id":"A1","total":1}', { ...json, authorization: 'Bearer wrong' }, 401, 'UNAUTHORIZED'],
      ['POST', '/admin/sales', '{"id":"A1"}', admin, 400, 'BAD_FIELD'],
      ['POST', '/admin/sales', '{"id":"A1","total":-3}', admin, 400, 'BAD_FIELD'],
      ['POST', '/admin/sales', '{"id":"A 1","total":3}', admin, 400, 'BAD_FIELD'],
      ['POST', '/admin/sales', '{"id":"A1","total":3,"opensAt":"tomorrow"}', admin, 400, 'BAD_FIELD'],
      ['POST', '/admin/sales', '{"id":"IN1","total":3}', admin, 409, 'SALE_EXISTS'],
    ];
    for (const [method, path, body, headers, status, error] of cases) {
      const res = await http(agent, method, base + path, body, headers);
      t.equal(res.status, status, `${method} ${path.slice(0, 60)} -> ${status}`);
      t.equal(res.json?.error, error, `  error ${error}`);
      t.ok(typeof res.json?.msg === 'string' && res.json.msg.length > 10, `  says what to send: ${res.json?.msg}`);
      t.equal(res.json?.code, status, '  code is the HTTP status');
      t.equal(res.headers['x-served-by'], 'input-node', '  X-Served-By');
      if (status === 405) t.match(res.headers['allow'], /GET|POST/, '  Allow header');
    }
    const missingTotal = await http(agent, 'POST', `${base}/admin/sales`, '{"id":"A1"}', admin);
    t.match(missingTotal.json?.msg, /^total:/, 'the 400 names the bad field');
  });

  t.test('Idempotency-Key: replay, in flight (409), scoped to its buyer', async (t) => {
    const key = { 'idempotency-key': 'k-123' };
    // Redis held still (SIGSTOP) keeps the first purchase in flight for as long as the second takes to arrive: 5 ms
    // of sleep between them was not enough on a busy machine (the first had been answered already).
    process.kill(redis.pid!, 'SIGSTOP');
    let b;
    const first = http(agent, 'GET', `${base}/buy/ticket?user=idem1&sale=IN1`, undefined, key);
    try {
      await sleep(100);
      b = await http(agent, 'GET', `${base}/buy/ticket?user=idem1&sale=IN1`, undefined, key);
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    const a = await first;
    t.equal(a.json?.code, 1, 'first purchase succeeds');
    t.equal(b.status, 409, 'same key while the first is in flight -> 409');
    t.equal(b.json?.error, 'IDEMPOTENCY_KEY_IN_FLIGHT');
    const again = await http(agent, 'GET', `${base}/buy/ticket?user=idem1&sale=IN1`, undefined, key);
    t.equal(again.json?.code, 1, 'retry with the same key -> the same order');
    t.equal((again.json?.data as { orderId: string }).orderId, (a.json?.data as { orderId: string }).orderId);
    t.equal((again.json?.data as { replayed: boolean }).replayed, true, 'marked replayed');
    const other = await http(agent, 'GET', `${base}/buy/ticket?user=idem2&sale=IN1`, undefined, key);
    t.equal(other.json?.code, 1, 'the same key from another buyer is that buyer\'s own key: a purchase of its own');
    t.not((other.json?.data as { orderId: string }).orderId, (a.json?.data as { orderId: string }).orderId, 'another order');
  });

  t.test('a sold-out sale is answered from shared memory: no purchase script reaches Redis', async (t) => {
    const buys = await pool(10, Array.from({ length: 10 }, (_, i) => () => http(agent, 'GET', `${base}/buy/ticket?user=s${i}&sale=SOLD5`)));
    t.equal(buys.filter((r) => r.json?.code === 1).length, 5, 'the 5 tickets sell');
    const client = await connectRedisReady(redis.url);
    t.teardown(() => client.disconnect());
    const before = await scriptCalls(client);
    const burst = await pool(50, Array.from({ length: 500 }, (_, i) => () => http(agent, 'GET', `${base}/buy/ticket?user=late${i}&sale=SOLD5`)));
    const anonymous = await pool(50, Array.from({ length: 100 }, () => () => http(agent, 'GET', `${base}/buy/ticket?sale=SOLD5`)));
    const after = await scriptCalls(client);
    t.ok([...burst, ...anonymous].every((r) => r.status === 200 && r.json?.code === -1), '600 answers: sold out (-1)');
    t.equal(after - before, 0, 'no script call reached Redis for them');
  });

  t.test('before its opening time a sale answers "not open" from shared memory; at opensAt it sells', async (t) => {
    const opensAt = Date.now() + 1500;
    const res = await http(agent, 'POST', `${base}/admin/sales`, JSON.stringify({ id: 'LATER', total: 3, anonymous: true, opensAt: new Date(opensAt).toISOString() }), admin);
    t.equal(res.status, 201, 'created, opening in 1.5 s');
    const client = await connectRedisReady(redis.url);
    t.teardown(() => client.disconnect());
    await http(agent, 'GET', `${base}/buy/ticket?sale=LATER`); // the node learns the sale (one status read)
    const before = await scriptCalls(client);
    const early = await pool(20, Array.from({ length: 100 }, (_, i) => () => http(agent, 'GET', `${base}/buy/ticket?sale=LATER&user=e${i}`)));
    const after = await scriptCalls(client);
    t.ok(early.every((r) => r.status === 200 && r.json?.code === -3), '100 early buyers: -3 not open');
    t.equal(after - before, 0, 'without a script call');
    await sleep(Math.max(0, opensAt - Date.now() + 50));
    const onTime = await http(agent, 'GET', `${base}/buy/ticket?sale=LATER&user=first`);
    t.equal(onTime.json?.code, 1, `sold once open: ${onTime.body}`);
  });

  t.test('clients that abort mid-request or mid-body do not hurt the node', async (t) => {
    const port = node.port;
    const rawJobs: Array<() => Promise<void>> = [];
    for (let i = 0; i < 300; i++) {
      rawJobs.push(
        () =>
          new Promise<void>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => {
              const kind = i % 4;
              if (kind === 0) socket.write(`GET /buy/ticket?user=ab${i}&sale=IN1 HTTP/1.1\r\nHost: x\r\n`); // headers cut
              if (kind === 1) socket.write(`POST /buy/ticket HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"user":"ab${i}",`); // body cut
              if (kind === 2) socket.write(`GET /buy/ticket?user=ab${i}&sale=IN1 HTTP/1.1\r\nHost: x\r\n\r\n`); // leaves before the answer
              if (kind === 3) socket.write('GARBAGE \x00\x01\x02 NOT HTTP\r\n\r\n');
              setTimeout(() => {
                socket.destroy();
                resolve();
              }, i % 3);
            });
            socket.on('error', () => resolve());
          }),
      );
    }
    // Aborts interleaved with normal purchases.
    const normal = Array.from({ length: 100 }, (_, i) => () => http(agent, 'GET', `${base}/buy/ticket?user=ok${i}&sale=IN1`).then(() => undefined));
    await pool(60, [...rawJobs, ...normal].sort((x, y) => (rawJobs.indexOf(x) % 7) - (rawJobs.indexOf(y) % 7)));
    const health = await http(undefined, 'GET', `${base}/healthz`);
    t.equal(health.status, 200, 'still healthy');
    const buy = await http(undefined, 'GET', `${base}/buy/ticket?user=after-aborts&sale=IN1`);
    t.equal(buy.json?.code, 1, 'still sells');
    // The counters the node answers from must agree with the orders themselves, counted one by one: an
    // aborted purchase is either a recorded order (its buyer left, the hold stays) or nothing at all.
    const status = await http(undefined, 'GET', `${base}/sales/IN1`);
    const data = status.json?.data as { remaining: number; held: number; paid: number; total: number };
    const client = await connectRedisReady(redis.url);
    t.teardown(() => client.disconnect());
    const audit = await new SaleEngine(client).audit('IN1');
    t.equal(audit.countedHeld, data.held, `held in the counters (${data.held}) == held orders counted in Redis`);
    t.equal(audit.countedPaid, data.paid, 'paid likewise');
    t.ok(audit.ok, `the audit closes after the aborts: ${audit.problems.join('; ')}`);
  });
});
