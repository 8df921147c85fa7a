// Pay is idempotent end to end (issue 17): a payment system's signed callback that was answered 503 is accepted
// again until the order is paid (the signature's use is recorded by the pay script itself, only when it pays),
// the same callback after it paid is "paid" again, and the body says what happened: {"status":"failed"} leaves
// the order held. A payment that comes after the hold expired is 409 HOLD_EXPIRED telling the payment system
// to refund. Real redis-server (stalled with SIGSTOP), a real node.
import t from 'tap';
import { createSigner } from 'fast-jwt';
import { setTimeout as sleep } from 'node:timers/promises';
import { signPayment } from '../../src/auth/payment-signature.js';
import { NodeProcess, http, keepAliveAgent } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';

const SECRET = 'a-shared-hs256-secret-of-32-chars!!';
const PAY_SECRET = 'the-payment-systems-secret-32-chars';
const ADMIN = 'pay-admin-token-0123';

t.test('signed payment callbacks', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  // A short deadline: a pay stalled by a stopped Redis is answered 503 within ~0.5 s.
  const node = await NodeProcess.start({
    redisUrl: redis.url,
    threads: 1,
    args: ['--deadline-ms', '600', '--sweep-ms', '100'],
    env: { ADMIN_TOKEN: ADMIN, JWT_SECRET: SECRET, PAYMENT_WEBHOOK_SECRET: PAY_SECRET },
  });
  t.teardown(() => node.stop());
  const agent = keepAliveAgent(8);
  t.teardown(() => agent.destroy());
  const admin = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` };
  for (const sale of [{ id: 'PAY', total: 20, perUserLimit: 5 }, { id: 'PAYX', total: 5, perUserLimit: 5, holdSeconds: 1 }]) {
    t.equal((await http(agent, 'POST', `${node.url}/admin/sales`, JSON.stringify(sale), admin)).status, 201);
  }
  const sign = createSigner({ key: SECRET, algorithm: 'HS256' });
  const token = (sub: string) => sign({ sub, exp: Math.floor(Date.now() / 1000) + 600 });
  const buy = async (sale: string, user: string) => {
    const a = await http(agent, 'GET', `${node.url}/buy/ticket?sale=${sale}`, undefined, { authorization: `Bearer ${token(user)}` });
    t.equal(a.json?.code, 1, `${user} buys in ${sale}`);
    return (a.json?.data as { orderId: string }).orderId;
  };
  const statusOf = async (order: string, user: string) =>
    ((await http(agent, 'GET', `${node.url}/orders/${order}`, undefined, { authorization: `Bearer ${token(user)}` })).json?.data as { status: string }).status;
  const callback = (order: string, body: string) =>
    http(agent, 'POST', `${node.url}/orders/${order}/pay`, body, { 'payment-signature': signPayment(PAY_SECRET, order, body, Math.floor(Date.now() / 1000)) });
  const succeeded = JSON.stringify({ status: 'succeeded', amount: 4200 });

  t.test('answered 503 while Redis stalls, then the same callback again: paid', async (t) => {
    const order = await buy('PAY', 'alice');
    const signature = signPayment(PAY_SECRET, order, succeeded, Math.floor(Date.now() / 1000));
    const send = () => http(agent, 'POST', `${node.url}/orders/${order}/pay`, succeeded, { 'payment-signature': signature });
    process.kill(redis.pid!, 'SIGSTOP');
    let first;
    try {
      first = await send();
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    t.match(first, { status: 503, json: { error: 'REDIS_UNAVAILABLE' } }, 'the stalled pay is an unknown outcome: 503');
    t.notMatch(first.body, /timed out|Command|ioredis|ETIMEDOUT/i, 'no internal error text in the body');
    const again = await send();
    t.match(again, { status: 200, json: { code: 1, data: { status: 'paid', user: 'alice' } } }, 'the payment system\'s retry of the same signed callback: paid, not "replayed"');
    t.equal(await statusOf(order, 'alice'), 'paid', 'the order is paid: its hold will not expire');
  });

  t.test('the same callback twice: both 200 paid, the second a repeat', async (t) => {
    const order = await buy('PAY', 'bob');
    const signature = signPayment(PAY_SECRET, order, succeeded, Math.floor(Date.now() / 1000));
    const send = () => http(agent, 'POST', `${node.url}/orders/${order}/pay`, succeeded, { 'payment-signature': signature });
    const [a, b] = [await send(), await send()];
    t.match(a, { status: 200, json: { code: 1, data: { status: 'paid', replayed: false } } });
    t.match(b, { status: 200, json: { code: 1, data: { status: 'paid', replayed: true } } });
    t.ok((a.json?.data as { ticket?: unknown }).ticket !== undefined && (b.json?.data as { ticket?: unknown }).ticket !== undefined, 'both carry the e-ticket');
    const paidCount = (await http(agent, 'GET', `${node.url}/sales/PAY`)).json?.data as { paid: number };
    t.ok(paidCount.paid >= 2, 'paid counted once per order');
  });

  t.test('the body says what happened: "failed" leaves the order held; no such JSON is 400', async (t) => {
    const order = await buy('PAY', 'carol');
    const failed = await callback(order, JSON.stringify({ status: 'failed', reason: 'card declined' }));
    t.match(failed, { status: 200, json: { code: -30, data: { status: 'held' } } }, 'a signed "payment failed": 200, nothing changed');
    t.match(failed.json?.msg, /payment failed: .* is unchanged \(held\); nothing was paid/);
    t.equal(await statusOf(order, 'carol'), 'held', 'still held');
    for (const [body, what] of [['not json', 'not JSON'], ['{"amount":1}', 'no status'], ['{"status":"Succeeded!"}', 'a status of other characters'], ['[1]', 'an array']]) {
      t.match(await callback(order, body), { status: 400, json: { error: 'BAD_PAYMENT_BODY' } }, `${what}: 400`);
    }
    t.equal(await statusOf(order, 'carol'), 'held', 'none of those paid it');
    t.match(await callback(order, succeeded), { status: 200, json: { data: { status: 'paid' } } }, 'then "succeeded" pays');
  });

  t.test('a payment after the hold expired: 409 HOLD_EXPIRED, refund', async (t) => {
    const order = await buy('PAYX', 'dave');
    await sleep(1300);
    const late = await callback(order, succeeded);
    t.match(late, { status: 409, json: { error: 'HOLD_EXPIRED' } });
    t.match(late.json?.msg, /refund the payment/, 'the message tells the payment system to refund');
    t.equal(await statusOf(order, 'dave'), 'expired');
  });

  t.test('the admin token: an empty body pays, a "failed" status does not', async (t) => {
    const order = await buy('PAY', 'erin');
    t.match(await http(agent, 'POST', `${node.url}/orders/${order}/pay`, JSON.stringify({ status: 'failed' }), admin), { status: 200, json: { code: -30 } });
    t.equal(await statusOf(order, 'erin'), 'held');
    t.match(await http(agent, 'POST', `${node.url}/orders/${order}/pay`, '', { authorization: `Bearer ${ADMIN}` }), { status: 200, json: { code: 1, data: { status: 'paid' } } });
  });
});
