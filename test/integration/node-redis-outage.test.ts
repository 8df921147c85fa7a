import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { RedisServer } from '../helpers/redis-server.js';
import { NodeProcess, http, keepAliveAgent, type HttpAnswer } from '../helpers/node-process.js';

// Redis is SIGKILLed in the middle of a purchase load and restarted on the same AOF (appendfsync always).
// Every answer must be a success or a 503 with Retry-After (never a hang, never a false success), every
// success must be in Redis after the restart, and the node must recover on its own.
t.test('Redis killed mid-run: successes or 503s only, nothing confirmed is lost, the node recovers', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const node = await NodeProcess.start({
    redisUrl: redis.url,
    threads: 2,
    args: ['--deadline-ms', '600'],
    env: { ADMIN_TOKEN: 'outage-admin-token' },
  });
  t.teardown(() => node.stop());
  const agent = keepAliveAgent(64);
  t.teardown(() => agent.destroy());
  const created = await http(agent, 'POST', `${node.url}/admin/sales`, JSON.stringify({ id: 'OUT', total: 100000 }), {
    'content-type': 'application/json',
    authorization: 'Bearer outage-admin-token',
  });
  t.equal(created.status, 201);

  let n = 0;
  let stop = false;
  const answers: Array<[string, HttpAnswer]> = [];
  const transportErrors: string[] = [];
  const client = async () => {
    while (!stop) {
      const user = `o${n++}`;
      try {
        answers.push([user, await http(agent, 'GET', `${node.url}/buy/ticket?user=${user}&sale=OUT`, undefined, {}, 5000)]);
      } catch (err) {
        transportErrors.push(`${user}: ${(err as Error).message}`);
      }
    }
  };
  const clients = Array.from({ length: 32 }, client);
  await sleep(700);
  await redis.kill('SIGKILL');
  const killedAt = answers.length;
  await sleep(1500);
  await redis.restart();
  await node.waitFor('/readyz', 15_000);
  // Keep buying until purchases succeed again after the restart.
  const deadline = Date.now() + 15_000;
  let recovered = false;
  while (Date.now() < deadline && !recovered) {
    await sleep(200);
    recovered = answers.slice(-20).some(([, a]) => a.json?.code === 1) && answers.length > killedAt + 50;
  }
  await sleep(300);
  stop = true;
  await Promise.all(clients);

  t.equal(transportErrors.length, 0, `every request was answered (${transportErrors.slice(0, 3).join('; ')})`);
  const successes = answers.filter(([, a]) => a.status === 200 && a.json?.code === 1);
  const unavailable = answers.filter(([, a]) => a.status === 503);
  const odd = answers.filter(([, a]) => !(a.status === 200 && a.json?.code === 1) && a.status !== 503);
  t.equal(odd.length, 0, `only successes and 503s (${odd.slice(0, 3).map(([, a]) => a.body).join('; ')})`);
  t.ok(unavailable.length > 0, `the outage was seen: ${unavailable.length} x 503`);
  t.ok(unavailable.every(([, a]) => a.headers['retry-after'] !== undefined), 'every 503 carries Retry-After');
  t.ok(
    unavailable.filter(([, a]) => a.json?.error === 'OUTCOME_UNKNOWN').every(([, a]) => typeof (a.json?.data as { orderId?: string })?.orderId === 'string'),
    'an unknown outcome names the orderId to check later',
  );
  t.ok(recovered, 'purchases succeed again after Redis returns');
  t.ok(successes.length > 100, `${successes.length} successes in all`);

  const redisClient = await connectRedisReady(redis.url);
  t.teardown(() => redisClient.disconnect());
  const engine = new SaleEngine(redisClient);
  let missing = 0;
  for (const [user, a] of successes) {
    const orderId = (a.json?.data as { orderId: string }).orderId;
    const order = await engine.getOrder(orderId);
    if (order === null || order.user !== user) missing++;
  }
  t.equal(missing, 0, 'every confirmed purchase is in Redis after the restart');
  const audit = await engine.audit('OUT');
  t.ok(audit.ok, `audit closes: ${audit.problems.join('; ')}`);
  const ready = await http(undefined, 'GET', `${node.url}/readyz`);
  t.equal(ready.status, 200, 'readyz is 200 again');
});
