import t from 'tap';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { RedisServer } from '../helpers/redis-server.js';
import { NodeProcess, http, keepAliveAgent, pool, type HttpAnswer } from '../helpers/node-process.js';

// 2,000 distinct users plus 600 repeat clicks over 200 keep-alive connections against 500 tickets
// (limit 1 per user), then a short mop-up wave of new buyers: exactly 500 successes, nobody above the
// limit, every success is an order in Redis, and the audit closes.
t.test('no oversell, no undersell, per-user limit, every success findable', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const node = await NodeProcess.start({ redisUrl: redis.url, threads: 2, env: { ADMIN_TOKEN: 'secret-admin-token' } });
  t.teardown(() => node.stop());
  const agent = keepAliveAgent(200);
  t.teardown(() => agent.destroy());

  const created = await http(
    agent,
    'POST',
    `${node.url}/admin/sales`,
    JSON.stringify({ id: 'C500', total: 500, perUserLimit: 1, holdSeconds: 900, anonymous: false }),
    { 'content-type': 'application/json', authorization: 'Bearer secret-admin-token' },
  );
  t.equal(created.status, 201, `sale created: ${created.body}`);

  const users = Array.from({ length: 2000 }, (_, i) => `user${i}`);
  const clicks = [...users, ...Array.from({ length: 600 }, (_, i) => users[(i * 7) % users.length])];
  // Shuffle deterministically so repeat clicks interleave with first clicks.
  for (let i = clicks.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [clicks[i], clicks[j]] = [clicks[j], clicks[i]];
  }
  // Every other click is a POST with a JSON body: both request paths share the stock under load.
  const buy = async (user: string, i: number): Promise<[string, HttpAnswer, 'GET' | 'POST']> =>
    i % 2 === 0
      ? [user, await http(agent, 'GET', `${node.url}/buy/ticket?user=${user}&sale=C500`), 'GET']
      : [user, await http(agent, 'POST', `${node.url}/buy/ticket`, JSON.stringify({ user, sale: 'C500' }), { 'content-type': 'application/json' }), 'POST'];
  const answers = await pool(200, clicks.map((user, i) => () => buy(user, i)));
  // Mop-up: demand keeps coming (no undersell); units briefly tied up by repeat clicks are sold now.
  const more = Array.from({ length: 300 }, (_, k) => `late${k}`);
  answers.push(...(await pool(100, more.map((user, k) => () => buy(user, k)))));

  const sold = { GET: 0, POST: 0 };
  for (const [, answer, method] of answers) if (answer.json?.code === 1) sold[method]++;
  t.ok(sold.GET > 100 && sold.POST > 100, `both paths sold under load: ${sold.GET} by GET, ${sold.POST} by POST`);

  const ordersByUser = new Map<string, Set<string>>();
  let other = 0;
  let unmarked = 0;
  for (const [user, answer] of answers) {
    if (answer.headers['x-served-by'] !== `node-${node.port}`) unmarked++;
    if (answer.status === 200 && answer.json?.code === 1) {
      const orderId = (answer.json.data as { orderId: string }).orderId;
      const set = ordersByUser.get(user) ?? new Set<string>();
      set.add(orderId);
      ordersByUser.set(user, set);
    } else if (!(answer.status === 200 && (answer.json?.code === -1 || answer.json?.code === -2))) {
      other++;
      if (other < 5) t.fail(`unexpected answer ${answer.status} ${answer.body}`);
    }
  }
  t.equal(other, 0, 'every answer is success, sold out or limit');
  t.equal(unmarked, 0, 'X-Served-By on every answer');
  const orders = [...ordersByUser.values()].flatMap((set) => [...set]);
  t.equal(orders.length, 500, 'exactly 500 distinct orders confirmed');
  t.ok([...ordersByUser.values()].every((set) => set.size === 1), 'nobody above the per-user limit');

  const status = await http(agent, 'GET', `${node.url}/sales/C500`);
  const data = status.json?.data as { remaining: number; held: number; paid: number };
  t.equal(data.remaining, 0, 'remaining 0');
  t.equal(data.held, 500, 'held 500');

  const found = await pool(100, orders.map((id) => () => http(agent, 'GET', `${node.url}/orders/${id}`)));
  t.ok(found.every((a) => a.status === 200 && (a.json?.data as { status: string }).status === 'held'), 'every success is an order in Redis');

  const client = await connectRedisReady(redis.url);
  t.teardown(() => client.disconnect());
  const audit = await new SaleEngine(client).audit('C500');
  t.ok(audit.ok, `audit closes: ${audit.problems.join('; ')}`);
  t.equal(audit.orders, 500);
});
