// The OpenAPI document (docs/openapi.json) against real answers: two nodes on one Redis — A the demo (admin and gate
// tokens, a ticket key this test also holds, so it can sign tickets a gate would meet), B with buyer authentication
// and signed payment callbacks (no admin or gate token) — answer success and error cases of every operation, and each
// answer's status, documented headers and body validate against the document (Ajv, JSON Schema 2020-12). Then Redis is
// killed and the 503s validate too. Every operation must have had at least one success and one error validated.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSigner } from 'fast-jwt';
import WebSocket from 'ws';
import { signPayment } from '../../src/auth/payment-signature.js';
import { signTicket, type Ticket } from '../../src/tickets/format.js';
import { loadKeyDir, rotateKey, signingKey } from '../../src/tickets/keys.js';
import { AnswerValidator, loadDocument, operations, pointer, type Answer } from '../helpers/openapi.js';
import { NodeProcess, http, keepAliveAgent, type HttpAnswer } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';

const ADMIN = 'openapi-admin-token-16';
const GATE = 'openapi-gate-token-16';
const JWT_SECRET = 'an-hs256-secret-of-at-least-32-chars!';
const PAY_SECRET = 'the-payment-webhook-secret-32-chars';

interface Call {
  headers?: Record<string, string>;
  /** An object is sent as JSON (with its Content-Type unless `headers` set one); a string as is. */
  body?: unknown;
  /** The status expected; a list while a node may still answer 503 because it has not read a sale or key yet. */
  expect: number | number[];
}

t.test('real answers of running nodes validate against docs/openapi.json', { timeout: 170_000 }, async (t) => {
  const redis = await RedisServer.start({ args: ['--appendfsync', 'no'] });
  t.teardown(() => redis.stop());
  const keyDir = mkdtempSync(join(tmpdir(), 'ts-openapi-keys-'));
  t.teardown(() => rmSync(keyDir, { recursive: true, force: true }));
  rotateKey(keyDir);
  const ourKey = signingKey(loadKeyDir(keyDir));
  const args = ['--reconcile-ms', '100', '--refresh-ms', '0'];
  const [a, b] = await Promise.all([
    NodeProcess.start({ redisUrl: redis.url, threads: 1, env: { ADMIN_TOKEN: ADMIN, GATE_TOKEN: GATE }, args: [...args, '--ticket-keys', keyDir] }),
    NodeProcess.start({ redisUrl: redis.url, threads: 1, env: { JWT_SECRET, PAYMENT_WEBHOOK_SECRET: PAY_SECRET }, args }),
  ]);
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const agent = keepAliveAgent(4);
  t.teardown(() => agent.destroy());
  const doc = loadDocument();
  const v = new AnswerValidator(doc);
  let answers = 0;

  /** One request of operation `op` ("METHOD /template"), its answer validated against the document and its status checked. */
  const call = async (node: NodeProcess, op: string, path: string, c: Call): Promise<HttpAnswer> => {
    const [method, template] = op.split(' ');
    const headers = { ...(c.headers ?? {}) };
    let body: string | undefined;
    if (typeof c.body === 'string') body = c.body;
    else if (c.body !== undefined) {
      body = JSON.stringify(c.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      if (typeof c.expect === 'number' && c.expect < 300) t.same(v.requestProblems(template, method, c.body), [], `${op}: the request body sent is the documented one`);
    }
    const r = await http(agent, method, node.url + path, body, headers);
    answers++;
    t.ok([c.expect].flat().includes(r.status), `${method} ${path}: ${r.status} ${r.body.slice(0, 160)}`);
    t.same(v.check(template, method, r), [], `${method} ${path} ${r.status} validates against ${op}`);
    return r;
  };
  /** An answer a component response describes (404 of any path, 405 of a method no operation has). */
  const callComponent = async (node: NodeProcess, method: string, path: string, component: string, expect: number) => {
    const r = await http(agent, method, node.url + path, method === 'GET' ? undefined : '');
    answers++;
    t.equal(r.status, expect, `${method} ${path}: ${r.status}`);
    const response = pointer(doc, `#/components/responses/${component}`) as Parameters<AnswerValidator['responseProblems']>[0];
    t.same(v.responseProblems(response, r, `${method} ${path}`), [], `${method} ${path} validates against ${component}`);
  };
  /**
   * Repeats `go` (each answer validated) while `again` says so, for at most 20 s: a node that has not read a sale's
   * seats or the waiting room's key yet, a line that has not reached the buyer yet (a loaded machine can take seconds).
   */
  const until = async (go: () => Promise<HttpAnswer>, again: (r: HttpAnswer) => boolean) => {
    const deadline = Date.now() + 20_000;
    for (let tries = 1; ; tries++) {
      const r = await go();
      if (!again(r) || Date.now() > deadline) {
        if (tries > 10) t.comment(`${tries} tries before: ${r.status} ${r.body.slice(0, 120)}`);
        return r;
      }
      await sleep(100);
    }
  };
  const admin = { authorization: `Bearer ${ADMIN}` };
  const gate = { authorization: `Bearer ${GATE}` };
  const data = (r: HttpAnswer) => r.json?.data as Record<string, unknown>;
  const later = (ms: number) => new Date(Date.now() + ms).toISOString();

  // Sales (every create validates, its request body too), and the create's errors.
  const mk = (body: Record<string, unknown>) => call(a, 'POST /admin/sales', '/admin/sales', { headers: admin, body, expect: 201 });
  await mk({ id: 'C1', total: 8, perUserLimit: 2 });
  await mk({ id: 'C2', total: 1 });
  await mk({ id: 'T1', kind: 'train', stations: ['A', 'B', 'C'], coaches: [{ coach: '01', class: 'second', seats: 4, layout: 'AB CD' }], date: '2026-12-24', perUserLimit: 5 });
  await mk({ id: 'Q1', total: 5, queue: { admitPerSecond: 50 } });
  await mk({ id: 'QPRE', total: 5, queue: { opensAt: later(3_600_000) } });
  await mk({ id: 'QLATER', total: 5, queue: { opensAt: later(7_200_000), preQueueFrom: later(3_600_000) } });
  await mk({ id: 'LATER', total: 5, opensAt: later(3_600_000) });
  await mk({ id: 'CLOSED', total: 3 });
  await mk({ id: 'RL', total: 1000 });
  await mk({ id: 'AUTH', total: 10, perUserLimit: 5 });
  await call(a, 'POST /admin/sales', '/admin/sales', { headers: admin, body: { id: 'C1', total: 8 }, expect: 409 });
  await call(a, 'POST /admin/sales', '/admin/sales', { headers: admin, body: { id: 'X1', total: 0 }, expect: 400 });
  await call(a, 'POST /admin/sales', '/admin/sales', { headers: { ...admin, 'content-type': 'application/json' }, body: 'not json', expect: 400 });
  await call(a, 'POST /admin/sales', '/admin/sales', { headers: admin, body: 'x', expect: 415 });
  await call(a, 'POST /admin/sales', '/admin/sales', { body: { id: 'X2', total: 1 }, expect: 401 });
  await call(b, 'POST /admin/sales', '/admin/sales', { headers: admin, body: { id: 'X3', total: 1 }, expect: 401 });

  await t.test('sales and availability', async () => {
    await call(a, 'GET /sales/{id}', '/sales/C1', { expect: 200 });
    await call(a, 'GET /sales/{id}', '/sales/T1', { expect: 200 });
    await call(a, 'GET /sales/{id}', '/sales/Q1', { expect: 200 });
    await call(a, 'GET /sales/{id}', '/sales/a!b', { expect: 400 });
    await call(a, 'GET /sales/{id}', '/sales/NOPE', { expect: 404 });
    const avail = (q: string, expect: number) => until(() => call(a, 'GET /sales/{id}/availability', `/sales/T1/availability${q}`, { expect: [expect, 503] }), (r) => r.status === 503);
    await avail('?from=A&to=B', 200);
    await avail('', 200);
    await avail('?from=C&to=A', 400);
    await call(a, 'GET /sales/{id}/availability', '/sales/C1/availability', { expect: 400 });
    await call(a, 'GET /sales/{id}/availability', '/sales/NOPE/availability', { expect: 404 });
  });

  const orders: Record<string, string> = {};
  await t.test('purchases: counter and train, every business code and the errors', async () => {
    const buy = (q: string, expect = 200, headers?: Record<string, string>) => call(a, 'GET /buy/ticket', `/buy/ticket?${q}`, { expect, headers });
    const post = (body: unknown, expect = 200, headers?: Record<string, string>) => call(a, 'POST /buy/ticket', '/buy/ticket', { body, expect, headers });
    orders.o1 = data(await buy('user=u1&sale=C1')).orderId as string;
    orders.o2 = data(await post({ user: 'u2', sale: 'C1' }, 200, { 'idempotency-key': 'k2' })).orderId as string;
    t.match(data(await post({ user: 'u2', sale: 'C1' }, 200, { 'idempotency-key': 'k2' })), { replayed: true }, 'the same key replays');
    await buy('user=u1&sale=C1');
    t.equal((await buy('user=u1&sale=C1')).json?.code, -2, 'limit reached');
    t.match(data(await buy('user=t1&sale=T1&from=A&to=C&class=second&seat=window')), { seats: [{ coach: '01' }] }, 'a train seat');
    await post({ user: 't2', sale: 'T1', from: 'A', to: 'C', class: 'second', passengers: 3 });
    t.match((await buy('user=t3&sale=T1&from=A&to=C&class=second')).json, { code: -1, data: { from: 'A', to: 'C', class: 'second' } }, 'a train sold out for the trip');
    await buy('user=u9&sale=C2');
    t.match((await buy('user=u10&sale=C2')).json, { code: -1, data: null }, 'sold out');
    t.equal((await buy('user=u1&sale=LATER')).json?.code, -3, 'not open yet');
    t.equal((await buy('user=u1&sale=Q1')).json?.code, -3, 'a waiting room without a pass');
    await buy(`user=${encodeURIComponent('bad user!')}&sale=C1`, 400);
    await buy('user=t1&sale=T1&from=A&to=C&class=first', 400);
    await buy('sale=C1', 400);
    await buy('user=u1&sale=NOPE', 404);
    await post('{"user":', 400, { 'content-type': 'application/json' });
    await post(JSON.stringify({ user: 'u1', pad: 'x'.repeat(5000) }), 413, { 'content-type': 'application/json' });
    await post('user=u1', 415, { 'content-type': 'application/x-www-form-urlencoded' });
    orders.o5 = data(await buy('user=u5&sale=C1', 200, { 'idempotency-key': 'k5' })).orderId as string;
    await call(a, 'POST /orders/{id}/cancel', `/orders/${orders.o5}/cancel`, { expect: 200 });
    t.match((await buy('user=u5&sale=C1', 409, { 'idempotency-key': 'k5' })).json, { error: 'ORDER_CANCELLED', data: { replayed: true } }, 'the key of a cancelled order');
    await buy('user=u6&sale=C1', 200, { 'idempotency-key': 'k6' });
    await buy('user=u6&sale=RL', 422, { 'idempotency-key': 'k6' });
    let limited: HttpAnswer | undefined;
    for (let i = 0; i < 40 && limited === undefined; i++) {
      const r = await http(agent, 'GET', `${a.url}/buy/ticket?user=greedy&sale=RL`);
      if (r.status === 429) limited = r;
    }
    t.ok(limited, 'a buyer over the rate is refused');
    if (limited !== undefined) t.same(v.check('/buy/ticket', 'get', limited), [], 'the 429 validates');
  });

  await t.test('orders: read, pay, cancel', async () => {
    const ok = await call(a, 'GET /orders/{id}', `/orders/${orders.o1}`, { expect: 200 });
    t.equal(data(ok).status, 'held');
    await call(a, 'GET /orders/{id}', '/orders/nodot', { expect: 400 });
    await call(a, 'GET /orders/{id}', '/orders/C1.AAAAAAAAAAAAAAAAAAAAAA', { expect: 404 });
    orders.ticket = JSON.stringify(data(await call(a, 'POST /orders/{id}/pay', `/orders/${orders.o1}/pay`, { expect: 200 })).ticket);
    t.equal((await call(a, 'POST /orders/{id}/pay', `/orders/${orders.o2}/pay`, { body: { status: 'failed' }, expect: 200 })).json?.code, -30);
    await call(a, 'POST /orders/{id}/pay', `/orders/${orders.o2}/pay`, { body: '[1]', expect: 400 });
    await call(a, 'POST /orders/{id}/pay', '/orders/C1.AAAAAAAAAAAAAAAAAAAAAA/pay', { expect: 404 });
    await call(a, 'POST /orders/{id}/pay', `/orders/${orders.o5}/pay`, { expect: 409 });
    await call(a, 'POST /orders/{id}/cancel', `/orders/${orders.o1}/cancel`, { expect: 409 });
    await call(a, 'POST /orders/{id}/cancel', '/orders/C1.AAAAAAAAAAAAAAAAAAAAAA/cancel', { expect: 404 });
    await call(a, 'POST /orders/{id}/cancel', '/orders/x/cancel', { expect: 400 });
  });

  await t.test('tickets: read, verify, check in, keys', async () => {
    const ticket = JSON.parse(orders.ticket) as Ticket;
    const own = (id: string): Ticket => signTicket({ id, sale: 'C1', user: 'u2', paidAt: Date.now() }, ourKey);
    const forged = { ...ticket, signature: ticket.signature.startsWith('A') ? `B${ticket.signature.slice(1)}` : `A${ticket.signature.slice(1)}` };
    const madeUp = own('C1.AAAAAAAAAAAAAAAAAAAAAA');
    await call(a, 'GET /tickets/{orderId}', `/tickets/${orders.o1}`, { expect: 200 });
    await call(a, 'GET /tickets/{orderId}', `/tickets/${orders.o2}`, { expect: 409 });
    await call(a, 'GET /tickets/{orderId}', '/tickets/C1.AAAAAAAAAAAAAAAAAAAAAA', { expect: 404 });
    await call(a, 'GET /tickets/{orderId}', '/tickets/nodot', { expect: 400 });
    await call(a, 'GET /tickets/{orderId}', '/tickets/verify', { expect: 405 });
    const verify = async (node: NodeProcess, body: unknown, code: number) => t.equal((await call(node, 'POST /tickets/verify', '/tickets/verify', { body, expect: 200 })).json?.code, code);
    await verify(a, { ticket }, 1);
    await verify(b, { ticket }, -20);
    await verify(a, { ticket: forged }, -21);
    await verify(a, { ticket: own(orders.o2) }, -22);
    await verify(a, { ticket: madeUp }, -23);
    await call(a, 'POST /tickets/verify', '/tickets/verify', { body: { ticket: 5 }, expect: 400 });
    await call(a, 'POST /tickets/verify', '/tickets/verify', { body: { ticket: { ...ticket, payload: '{}' } }, expect: 400 });
    await call(a, 'POST /tickets/verify', '/tickets/verify', { body: '[]', headers: { 'content-type': 'application/json' }, expect: 400 });
    await call(a, 'POST /tickets/verify', '/tickets/verify', { body: 'x', expect: 415 });
    await call(a, 'POST /tickets/verify', '/tickets/verify', { body: JSON.stringify({ pad: 'x'.repeat(3000) }), headers: { 'content-type': 'application/json' }, expect: 413 });
    const checkIn = (body: unknown, expect: number, headers = gate, node = a) => call(node, 'POST /tickets/check-in', '/tickets/check-in', { body, headers, expect });
    t.equal((await checkIn({ ticket, gate: 'G1' }, 200)).json?.code, 1);
    t.match((await checkIn({ ticket, gate: 'G2' }, 409)).json, { error: 'ALREADY_CHECKED_IN', data: { gate: 'G1' } });
    t.match((await checkIn({ ticket: own(orders.o2), gate: 'G1' }, 409)).json, { error: 'ORDER_NOT_PAID' });
    t.equal((await checkIn({ ticket: forged, gate: 'G1' }, 200)).json?.code, -21);
    t.equal((await checkIn({ ticket: madeUp, gate: 'G1' }, 200)).json?.code, -23);
    await checkIn({ ticket, gate: 'G1' }, 401, { authorization: 'Bearer wrong-token-0123456' });
    await checkIn({ ticket, gate: 'bad gate' }, 400);
    await checkIn('x', 415);
    await checkIn({ ticket, gate: 'G1' }, 401, gate, b);
    await call(a, 'GET /.well-known/ticket-keys', '/.well-known/ticket-keys', { expect: 200 });
  });

  await t.test('the waiting room', async () => {
    const join = (node: NodeProcess, sale: string, body: unknown, expect: number, headers?: Record<string, string>) =>
      until(() => call(node, 'POST /queue/{sale}/join', `/queue/${sale}/join`, { body, headers, expect: [expect, 503] }), (r) => r.status === 503);
    const token = data(await join(a, 'Q1', { user: 'q1' }, 200)).token as string;
    await join(a, 'Q1', { user: 'q1' }, 409);
    const preToken = data(await join(a, 'QPRE', { user: 'p1' }, 200)).token as string;
    await join(a, 'QLATER', { user: 'p1' }, 409);
    await join(a, 'C1', { user: 'p1' }, 409);
    await join(a, 'NOPE', { user: 'p1' }, 404);
    await join(a, 'Q1', {}, 400);
    await call(a, 'POST /queue/{sale}/join', '/queue/Q1/join', { body: 'x', expect: 415 });
    const status = (sale: string, queueToken: string | undefined, expect: number) =>
      call(a, 'GET /queue/{sale}/status', `/queue/${sale}/status`, { headers: queueToken === undefined ? {} : { 'queue-token': queueToken }, expect });
    t.equal(data(await status('QPRE', preToken, 200)).state, 'pre-queue');
    await status('Q1', undefined, 401);
    await status('Q1', `${token}x`, 401);
    await status('a!b', token, 400);
    const admitted = await until(() => status('Q1', token, 200), (r) => data(r).state !== 'admitted');
    const pass = data(admitted).pass as string;
    t.equal((await call(a, 'GET /buy/ticket', '/buy/ticket?user=q1&sale=Q1', { headers: { 'queue-pass': pass }, expect: 200 })).json?.code, 1, 'a pass buys');
    t.equal((await call(a, 'POST /buy/ticket', '/buy/ticket', { body: { user: 'q2', sale: 'Q1' }, headers: { 'queue-pass': pass }, expect: 200 })).json?.code, -3, "another buyer's pass");
  });

  await t.test('buyer authentication and signed payment callbacks (node B)', async () => {
    const sign = createSigner({ key: JWT_SECRET, algorithm: 'HS256' });
    const bearer = (sub: string) => ({ authorization: `Bearer ${sign({ sub, exp: Math.floor(Date.now() / 1000) + 600 })}` });
    await call(b, 'GET /buy/ticket', '/buy/ticket?sale=AUTH', { expect: 401 });
    await call(b, 'GET /buy/ticket', '/buy/ticket?sale=AUTH&user=bob', { headers: bearer('alice'), expect: 403 });
    const id = data(await call(b, 'POST /buy/ticket', '/buy/ticket', { body: { sale: 'AUTH' }, headers: bearer('alice'), expect: 200 })).orderId as string;
    await call(b, 'GET /orders/{id}', `/orders/${id}`, { headers: bearer('alice'), expect: 200 });
    await call(b, 'GET /orders/{id}', `/orders/${id}`, { headers: bearer('bob'), expect: 403 });
    await call(b, 'GET /orders/{id}', `/orders/${id}`, { expect: 401 });
    await call(b, 'POST /orders/{id}/cancel', `/orders/${id}/cancel`, { headers: bearer('bob'), expect: 403 });
    await call(b, 'GET /tickets/{orderId}', `/tickets/${id}`, { headers: bearer('bob'), expect: 403 });
    const body = JSON.stringify({ status: 'succeeded', provider: 'test' });
    const signature = { 'payment-signature': signPayment(PAY_SECRET, id, body, Math.floor(Date.now() / 1000)), 'content-type': 'application/json' };
    await call(b, 'POST /orders/{id}/pay', `/orders/${id}/pay`, { body, headers: { 'content-type': 'application/json' }, expect: 401 });
    await call(b, 'POST /orders/{id}/pay', `/orders/${id}/pay`, { body, headers: { ...signature, 'payment-signature': 't=1,v1=00' }, expect: 401 });
    t.match(data(await call(b, 'POST /orders/{id}/pay', `/orders/${id}/pay`, { body, headers: signature, expect: 200 })), { status: 'paid', replayed: false });
    t.match(data(await call(b, 'POST /orders/{id}/pay', `/orders/${id}/pay`, { body, headers: signature, expect: 200 })), { status: 'paid', replayed: true });
    await call(b, 'GET /tickets/{orderId}', `/tickets/${id}`, { headers: bearer('alice'), expect: 200 });
    await call(b, 'POST /queue/{sale}/join', '/queue/Q1/join', { body: {}, expect: 401 });
    await until(() => call(b, 'POST /queue/{sale}/join', '/queue/Q1/join', { body: {}, headers: bearer('alice'), expect: [200, 503] }), (r) => r.status === 503);
    await call(b, 'POST /queue/{sale}/join', '/queue/Q1/join', { body: { user: 'bob' }, headers: bearer('alice'), expect: 403 });
  });

  await t.test('admin: list, coaches, pause, resume, close, queue, stock', async () => {
    const op = (what: string, sale: string, expect: number, body?: unknown, headers: Record<string, string> = admin) =>
      call(a, `POST /admin/sales/{id}/${what}`, `/admin/sales/${sale}/${what}`, { body, headers, expect });
    await call(a, 'GET /admin/sales', '/admin/sales', { headers: admin, expect: 200 });
    t.equal(data(await call(a, 'GET /admin/sales', '/admin/sales?after=C1&limit=2', { headers: admin, expect: 200 })).next, 'CLOSED');
    await call(a, 'GET /admin/sales', '/admin/sales?limit=0', { headers: admin, expect: 400 });
    await call(a, 'GET /admin/sales', '/admin/sales?after=a!b', { headers: admin, expect: 400 });
    await call(a, 'GET /admin/sales', '/admin/sales', { expect: 401 });
    await call(b, 'GET /admin/sales', '/admin/sales', { headers: admin, expect: 401 });
    await call(a, 'GET /admin/sales/{id}/coaches/{coach}', '/admin/sales/T1/coaches/01', { headers: admin, expect: 200 });
    await call(a, 'GET /admin/sales/{id}/coaches/{coach}', '/admin/sales/T1/coaches/99', { headers: admin, expect: 400 });
    await call(a, 'GET /admin/sales/{id}/coaches/{coach}', '/admin/sales/C1/coaches/01', { headers: admin, expect: 400 });
    await call(a, 'GET /admin/sales/{id}/coaches/{coach}', '/admin/sales/NOPE/coaches/01', { headers: admin, expect: 404 });
    t.equal((await op('pause', 'RL', 200)).json?.msg, 'paused');
    t.equal((await op('pause', 'RL', 200)).json?.msg, 'already paused');
    t.equal((await op('resume', 'RL', 200)).json?.msg, 'resumed');
    t.equal((await op('resume', 'RL', 200)).json?.msg, 'already running');
    t.equal((await op('close', 'CLOSED', 200)).json?.msg, 'closed');
    t.equal((await op('close', 'CLOSED', 200)).json?.msg, 'already closed');
    await op('pause', 'CLOSED', 409);
    await op('resume', 'CLOSED', 409);
    for (const what of ['pause', 'resume', 'close']) {
      await op(what, 'NOPE', 404);
      await op(what, 'a!b', 400);
      await op(what, 'RL', 401, undefined, {});
    }
    await op('queue', 'Q1', 200, { admitPerSecond: 20 });
    await op('queue', 'RL', 200, { on: false });
    await op('queue', 'RL', 400, {});
    await op('queue', 'RL', 400, { bogus: 1 });
    await op('queue', 'NOPE', 404, { on: true });
    await op('queue', 'RL', 415, 'x');
    await op('queue', 'RL', 401, { on: true }, {});
    await op('stock', 'C1', 200, { add: 2 });
    await op('stock', 'C1', 400, { add: 0 });
    await op('stock', 'T1', 400, { add: 1 });
    t.match((await op('stock', 'C1', 409, { add: -9 })).json, { error: 'STOCK_FLOOR', data: { floor: 4 } });
    await op('stock', 'CLOSED', 409, { add: 1 });
    await op('stock', 'NOPE', 404, { add: 1 });
    await op('stock', 'C1', 415, 'x');
    await op('stock', 'C1', 401, { add: 1 }, {});
  });

  await t.test('operations, pages, the socket, unknown paths and methods', async () => {
    await call(a, 'GET /healthz', '/healthz', { expect: 200 });
    await call(a, 'GET /readyz', '/readyz', { expect: 200 });
    await call(a, 'GET /metrics', '/metrics', { expect: 200 });
    t.same(JSON.parse((await call(a, 'GET /openapi.json', '/openapi.json', { expect: 200 })).body), doc, '/openapi.json is the file');
    await call(a, 'GET /dashboard', '/dashboard', { expect: 200 });
    await call(a, 'GET /dashboard/{file}', '/dashboard/app.js', { expect: 200 });
    await call(a, 'GET /dashboard/{file}', '/dashboard/vendor/uPlot.min.css', { expect: 200 });
    await call(a, 'GET /dashboard/{file}', '/dashboard/nope.js', { expect: 404 });
    await call(a, 'GET /buy/{sale}', '/buy/C1', { expect: 200 });
    await call(a, 'GET /buy/{sale}', '/buy/a!b', { expect: 400 });
    await call(a, 'GET /buyer/{file}', '/buyer/buyer.js', { expect: 200 });
    await call(a, 'GET /buyer/{file}', '/buyer/vendor/qrcode.js', { expect: 200 });
    await call(a, 'GET /buyer/{file}', '/buyer/nope.js', { expect: 404 });
    await call(a, 'GET /ws/sales', '/ws/sales', { expect: 404 });
    // The socket: the upgrade's 101 and its first message, a DashboardSnapshot.
    const socket = new WebSocket(`ws://127.0.0.1:${a.port}/ws/sales`);
    const upgraded = new Promise<Answer>((resolve) => socket.once('upgrade', (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' })));
    const first = new Promise<string>((resolve, reject) => {
      socket.once('message', (m: Buffer) => resolve(m.toString()));
      socket.once('error', reject);
    });
    const upgrade = await upgraded;
    t.same(v.check('/ws/sales', 'get', upgrade), [], 'the 101 validates');
    const snapshot = JSON.parse(await first) as unknown;
    socket.close();
    t.same(v.schemaProblems(pointer(doc, '#/components/schemas/DashboardSnapshot')!, snapshot, 'snapshot'), [], 'a snapshot validates against x-websocket-messages');
    await callComponent(a, 'GET', '/nope', 'NotFound', 404);
    await callComponent(a, 'PUT', '/healthz', 'MethodNotAllowed', 405);
    await callComponent(a, 'POST', '/buy/C1', 'MethodNotAllowed', 405);
    await callComponent(a, 'DELETE', `/tickets/${orders.o1}`, 'MethodNotAllowed', 405);
  });

  await t.test('Redis away: the 503s validate too', async () => {
    await redis.kill();
    await call(a, 'GET /readyz', '/readyz', { expect: 503 });
    await call(a, 'GET /sales/{id}', '/sales/C1', { expect: 503 });
    await call(a, 'GET /buy/ticket', '/buy/ticket?user=late1&sale=C1', { expect: 503 });
    await call(a, 'GET /orders/{id}', `/orders/${orders.o2}`, { expect: 503 });
    await call(a, 'POST /orders/{id}/cancel', `/orders/${orders.o2}/cancel`, { expect: 503 });
    await call(a, 'POST /orders/{id}/pay', `/orders/${orders.o2}/pay`, { expect: 503 });
    await call(a, 'GET /admin/sales', '/admin/sales', { headers: admin, expect: 503 });
    await call(a, 'POST /admin/sales', '/admin/sales', { headers: admin, body: { id: 'DOWN', total: 1 }, expect: 503 });
    await call(a, 'POST /admin/sales/{id}/pause', '/admin/sales/RL/pause', { headers: admin, expect: 503 });
    await call(a, 'POST /queue/{sale}/join', '/queue/Q1/join', { body: { user: 'late2' }, expect: 503 });
  });

  // Every operation had at least one success and, when it documents a 4xx, one error answer validated.
  const seen = [...v.seen];
  for (const { path, method, op: operation } of operations(doc)) {
    const op = `${method.toUpperCase()} ${path}`;
    const statuses = seen.filter((s) => s.startsWith(`${op} `)).map((s) => Number(s.slice(op.length + 1)));
    t.ok(statuses.some((s) => s < 300), `${op}: a success validated (${statuses.join(', ')})`);
    const clientErrors = Object.keys(operation['responses'] as object).some((s) => s.startsWith('4') && s !== '429');
    if (clientErrors) t.ok(statuses.some((s) => s >= 400), `${op}: an error validated (${statuses.join(', ')})`);
  }
  t.comment(`${answers} answers validated: ${seen.length} (operation, status) pairs over ${operations(doc).length} operations`);
});
