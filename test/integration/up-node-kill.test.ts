// A node SIGKILLed in the middle of a sale behind `ticket-spike up`: nginx routes around it (a purchase
// that died with the node is retried once on another node with the same Idempotency-Key), the supervisor
// restarts it, and the sale still ends exactly sold out: no order twice, no oversell, no stranded stock.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { childrenOf } from '../../src/launcher/children.js';
import { hammer, UpProcess, type Answer } from '../helpers/up-process.js';

const STOCK = 2000;

t.test('a node killed with SIGKILL mid-sale', { timeout: 120_000 }, async (t) => {
  const t0 = Date.now();
  // Thousands of anonymous buyers from one address: nginx's per-address purchase limit off.
  const up = await UpProcess.start({ args: ['--demo-total', String(STOCK), '--ip-rate', '0'] });
  t.comment(`up started in ${Date.now() - t0} ms`);
  t.teardown(() => up.killAll());
  const before = up.state();
  const victim = childrenOf(before.children, 'node').find((n) => n.weight === 4);
  if (victim === undefined) throw new Error('no weight-4 node in up.json');

  const orderIds: string[] = [];
  const statuses = new Map<string, number>();
  let killed = false;
  const onAnswer = (a: Answer) => {
    const key = a.status === 0 ? `error ${a.error}` : String(a.status);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    if (a.status === 200 && a.body?.code === 1 && a.body.data?.orderId) orderIds.push(a.body.data.orderId);
    if (!killed && orderIds.length >= 600) {
      killed = true;
      process.kill(victim.pid, 'SIGKILL');
    }
  };
  // Anonymous purchases, like ab: no per-user limit hides a double sale; only the Idempotency-Key nginx
  // adds can make nginx's retry of a purchase that died with the node a replay instead of a second unit.
  const soldOut = () => orderIds.length >= STOCK;
  await hammer(up.port, () => '/buy/ticket', { requests: 6000, concurrency: 40, onAnswer, shouldStop: soldOut });
  t.comment(`load done at ${Date.now() - t0} ms`);
  t.ok(killed, `killed ${victim.name} (pid ${victim.pid}) after 600 sales`);
  // Demand keeps coming for a while (bounded): stock the dead node held must come back to the others.
  const deadline = Date.now() + 15_000;
  while (!soldOut() && Date.now() < deadline) {
    await hammer(up.port, () => '/buy/ticket', { requests: 500, concurrency: 20, onAnswer, shouldStop: soldOut });
    if (!soldOut()) await sleep(200);
  }

  t.equal(statuses.get('502') ?? 0, 0, 'no 502: nginx routed around the dead node');
  t.same([...statuses.keys()].filter((k) => k.startsWith('error')), [], 'no connection errors');
  t.equal(new Set(orderIds).size, orderIds.length, 'no order answered twice');
  t.equal(orderIds.length, STOCK, `${STOCK} successes: the sale sold out despite the dead node`);

  const [sale] = await hammer(up.port, () => '/sales/demo', { requests: 1, concurrency: 1 });
  const d = sale?.body?.data;
  t.same({ held: d?.held, paid: d?.paid, remaining: d?.remaining }, { held: STOCK, paid: 0, remaining: 0 }, 'held == total, remaining 0 (no oversell, nothing stranded)');
  const redis = await connectRedisReady(up.state().redisUrl ?? '');
  t.teardown(() => redis.disconnect());
  const audit = await new SaleEngine(redis).audit('demo');
  t.ok(audit.ok, `audit closes ${audit.problems.join('; ')}`);
  t.equal(audit.orders, orderIds.length, 'Redis holds exactly one order per success answer (no order created twice)');

  const after = await up.waitState((s) => {
    const n = s.children.find((x) => x.name === victim.name);
    return n !== undefined && n.pid !== victim.pid;
  });
  t.not(after.children.find((x) => x.name === victim.name)?.pid, victim.pid, 'the supervisor restarted the node');
  t.match(up.stderr, new RegExp(`${victim.name} died \\(SIGKILL\\); restarting in \\d+ ms`), 'the crash and the restart are logged');
  t.comment(`answers: ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.comment(`checks done at ${Date.now() - t0} ms`);
  const exit = await up.stop();
  t.equal(exit.code, 0, 'stops cleanly');
  t.comment(`stopped at ${Date.now() - t0} ms`);
});
