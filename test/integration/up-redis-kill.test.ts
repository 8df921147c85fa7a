// The embedded Redis SIGKILLed in the middle of a sale behind `ticket-spike up`: the supervisor restarts
// it on the same port and data dir, the AOF (appendfsync always) brings back every confirmed order, the
// nodes reconnect, the sale finishes and the accounting closes.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import type { UpState } from '../../src/launcher/state.js';
import { hammer, UpProcess, type Answer } from '../helpers/up-process.js';

const STOCK = 1500;

t.test('the embedded Redis killed with SIGKILL mid-sale', { timeout: 120_000 }, async (t) => {
  // Thousands of anonymous buyers from one address: nginx's per-address purchase limit off.
  const up = await UpProcess.start({ args: ['--demo-total', String(STOCK), '--ip-rate', '0'] });
  t.teardown(() => up.killAll());
  const before = up.state();
  const redisPid = before.children.find((c) => c.role === 'redis')?.pid;
  if (redisPid === undefined) throw new Error('no redis in up.json');

  const orderIds: string[] = [];
  const statuses = new Map<string, number>();
  let killedAt = 0;
  const onAnswer = (a: Answer) => {
    const key = a.status === 0 ? `error ${a.error}` : String(a.status);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    if (a.status === 200 && a.body?.code === 1 && a.body.data?.orderId) orderIds.push(a.body.data.orderId);
    if (killedAt === 0 && orderIds.length >= 500) {
      killedAt = orderIds.length;
      process.kill(redisPid, 'SIGKILL');
    }
  };
  const soldOut = () => orderIds.length >= STOCK;
  await hammer(up.port, () => '/buy/ticket', { requests: 4000, concurrency: 20, onAnswer, shouldStop: soldOut });
  t.ok(killedAt > 0, `killed redis (pid ${redisPid}) after ${killedAt} confirmed sales`);

  const pidNow = (s: UpState) => s.children.find((c) => c.role === 'redis')?.pid;
  const after = await up.waitState((s) => pidNow(s) !== undefined && pidNow(s) !== redisPid);
  t.not(pidNow(after), redisPid, 'the supervisor restarted Redis');
  t.equal(after.redisUrl, before.redisUrl, 'on the same port');

  // Keep buying (bounded) until the sale is over: the nodes must find Redis again.
  const deadline = Date.now() + 30_000;
  let remaining = -1;
  while (Date.now() < deadline) {
    await hammer(up.port, () => '/buy/ticket', { requests: 400, concurrency: 20, onAnswer, shouldStop: soldOut });
    const [s] = await hammer(up.port, () => '/sales/demo', { requests: 1, concurrency: 1 });
    remaining = s?.body?.data?.remaining ?? -1;
    if (remaining === 0) break;
    await sleep(200);
  }
  t.equal(remaining, 0, 'the sale finished: nothing left');
  t.equal(new Set(orderIds).size, orderIds.length, 'no order answered twice');
  t.ok(orderIds.length <= STOCK, `no oversell: ${orderIds.length} successes for ${STOCK} tickets`);
  t.comment(`answers: ${JSON.stringify(Object.fromEntries(statuses))} (503 = Redis down, Retry-After)`);

  const redis = await connectRedisReady(after.redisUrl ?? '');
  t.teardown(() => redis.disconnect());
  const engine = new SaleEngine(redis);
  const missing: string[] = [];
  for (const id of orderIds) if ((await engine.getOrder(id)) === null) missing.push(id);
  t.same(missing, [], `every one of the ${orderIds.length} confirmed orders survived the crash (AOF)`);
  const audit = await engine.audit('demo');
  t.ok(audit.ok, `audit closes ${audit.problems.join('; ')}`);
  t.equal(audit.held + audit.paid, STOCK, 'held + paid == total');
  t.match(up.stderr, /redis died \(SIGKILL\); restarting in \d+ ms/, 'the crash and the restart are logged');

  const exit = await up.stop();
  t.equal(exit.code, 0, 'stops cleanly');
});
