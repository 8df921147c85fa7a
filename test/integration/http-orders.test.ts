import t from 'tap';
import { createPublicKey, verify } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisServer } from '../helpers/redis-server.js';
import { NodeProcess, http, keepAliveAgent } from '../helpers/node-process.js';

// Orders after the purchase (pay with a signed e-ticket, cancel, read), stock that comes back (cancel, expiry)
// reaching buyers through the reconciler and the sweeper, and /metrics.
t.test('orders, returned stock, e-tickets, metrics', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const node = await NodeProcess.start({ redisUrl: redis.url, threads: 2, env: { ADMIN_TOKEN: 'orders-admin-token' } });
  t.teardown(() => node.stop());
  const agent = keepAliveAgent(8);
  t.teardown(() => agent.destroy());
  const admin = { 'content-type': 'application/json', authorization: 'Bearer orders-admin-token' };
  const create = (sale: object) => http(agent, 'POST', `${node.url}/admin/sales`, JSON.stringify(sale), admin);
  const buy = (user: string, sale: string) => http(agent, 'GET', `${node.url}/buy/ticket?user=${user}&sale=${sale}`);
  const orderIdOf = (a: Awaited<ReturnType<typeof buy>>) => (a.json?.data as { orderId: string }).orderId;
  const until = async (what: () => Promise<boolean>, ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await what()) return true;
      await sleep(50);
    }
    return false;
  };

  t.equal((await create({ id: 'ONE', total: 1 })).status, 201);
  t.equal((await create({ id: 'EXP', total: 1, holdSeconds: 1 })).status, 201);
  t.equal((await create({ id: 'PAY', total: 10 })).status, 201);

  t.test('pay returns a signed e-ticket; paying again returns the paid order; a paid order cannot be cancelled', async (t) => {
    const bought = await buy('payer', 'PAY');
    const orderId = orderIdOf(bought);
    const paid = await http(agent, 'POST', `${node.url}/orders/${orderId}/pay`);
    t.equal(paid.status, 200);
    const data = paid.json?.data as { status: string; ticket: { payload: string; signature: string; publicKey: string } };
    t.equal(data.status, 'paid');
    const payload = JSON.parse(data.ticket.payload) as { orderId: string; sale: string; user: string; paidAt: number };
    t.same({ orderId: payload.orderId, sale: payload.sale, user: payload.user }, { orderId, sale: 'PAY', user: 'payer' });
    t.ok(payload.paidAt > 0);
    t.ok(
      verify(null, Buffer.from(data.ticket.payload), createPublicKey(data.ticket.publicKey), Buffer.from(data.ticket.signature, 'base64url')),
      'the Ed25519 signature verifies with the returned public key',
    );
    t.notOk(
      verify(null, Buffer.from(data.ticket.payload.replace('payer', 'thief')), createPublicKey(data.ticket.publicKey), Buffer.from(data.ticket.signature, 'base64url')),
      'a tampered payload does not',
    );
    const again = await http(agent, 'POST', `${node.url}/orders/${orderId}/pay`);
    t.equal(again.status, 200, 'paying twice is idempotent');
    const cancel = await http(agent, 'POST', `${node.url}/orders/${orderId}/cancel`);
    t.equal(cancel.status, 409);
    t.equal(cancel.json?.error, 'ORDER_PAID');
    const read = await http(agent, 'GET', `${node.url}/orders/${orderId}`);
    t.equal((read.json?.data as { status: string }).status, 'paid');
  });

  t.test('a cancelled hold goes back on sale: sold out is cleared by the reconciler', async (t) => {
    const first = await buy('c1', 'ONE');
    t.equal(first.json?.code, 1);
    t.equal((await buy('c2', 'ONE')).json?.code, -1, 'sold out');
    const cancel = await http(agent, 'POST', `${node.url}/orders/${orderIdOf(first)}/cancel`);
    t.equal((cancel.json?.data as { status: string }).status, 'cancelled');
    t.ok(await until(async () => (await buy('c2', 'ONE')).json?.code === 1, 3000), 'the returned ticket sells again within 3 s');
  });

  t.test('an expired hold goes back on sale: the sweeper releases it', async (t) => {
    const first = await buy('e1', 'EXP');
    t.equal(first.json?.code, 1);
    t.equal((await buy('e2', 'EXP')).json?.code, -1, 'sold out');
    t.ok(await until(async () => (await buy('e2', 'EXP')).json?.code === 1, 5000), 'sells again once the 1 s hold expired');
    const expired = await http(agent, 'GET', `${node.url}/orders/${orderIdOf(first)}`);
    t.equal((expired.json?.data as { status: string }).status, 'expired');
    const pay = await http(agent, 'POST', `${node.url}/orders/${orderIdOf(first)}/pay`);
    t.equal(pay.status, 409, 'an expired hold cannot be paid');
    t.equal(pay.json?.error, 'HOLD_EXPIRED');
  });

  t.test('/metrics: counters by outcome, latency histogram, per-sale gauges', async (t) => {
    const res = await http(agent, 'GET', `${node.url}/metrics`);
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /text\/plain/);
    const node_ = `node="node-${node.port}"`;
    t.match(res.body, new RegExp(`ticket_spike_purchases_total\\{outcome="success",${node_}\\} [1-9]`));
    t.match(res.body, new RegExp(`ticket_spike_purchases_total\\{outcome="sold_out",${node_}\\} [1-9]`));
    t.match(res.body, /ticket_spike_request_seconds_bucket\{le="\+Inf",node="[^"]+"\} [1-9]/);
    t.match(res.body, /ticket_spike_request_seconds_count\{node="[^"]+"\} [1-9]/);
    t.match(res.body, /ticket_spike_sale_remaining\{sale="PAY",node="[^"]+"\} 9/);
    t.match(res.body, /ticket_spike_sale_paid\{sale="PAY",node="[^"]+"\} 1/);
    t.match(res.body, /ticket_spike_sale_local_quota\{sale="PAY",node="[^"]+"\} \d+/);
  });
});
