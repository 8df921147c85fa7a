import t from 'tap';
import type { Redis } from 'ioredis';
import { RedisServer, redisClients } from '../helpers/redis-server.js';
import { whenReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { Outcome } from '../../src/redis/codes.js';
import { ReservationBatcher, type ReserveOutcome } from '../../src/sale/batcher.js';
import { newOrderId } from '../../src/sale/ids.js';

const server = await RedisServer.start();
t.teardown(() => server.stop());
const open = redisClients(t, server.url);
/** The purchases' connections fail fast (500 ms); the sale is set up over a patient one (a busy machine
 *  fsyncing every write may take longer than that to create it, and that is not what this file tests). */
const connect = (commandTimeoutMs = 500): Promise<Redis> => open(commandTimeoutMs);

/** `workers` loops buying for distinct users until stop() — returns every outcome. */
function buyers(batcher: ReservationBatcher, sale: string, workers: number) {
  let running = true;
  let n = 0;
  const outcomes: { orderId: string; user: string; r: ReserveOutcome }[] = [];
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (running) {
      const user = `w${w}-${n++}`;
      const orderId = newOrderId(sale);
      const r = await batcher.reserve(sale, { orderId, user });
      outcomes.push({ orderId, user, r });
      if (r.outcome === 'unknown') await new Promise((res) => setTimeout(res, 20));
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

t.test('kill -9 mid-sale and restart on the same AOF: every confirmed order is still there', async (t) => {
  const redis = await connect();
  const engine = new SaleEngine(redis);
  const sale = 'crash';
  await new SaleEngine(await connect(10_000)).createSale({ id: sale, total: 100_000, perUserLimit: 1, holdSeconds: 600, anonymous: false });
  const batcher = new ReservationBatcher(engine, { maxBatch: 32, windowMs: 1, deadlineMs: 1000 });
  const run = buyers(batcher, sale, 32);
  await new Promise((res) => setTimeout(res, 300));
  await server.kill('SIGKILL');
  const confirmedBeforeCrash = run.outcomes.filter((o) => o.r.outcome === Outcome.Success).length;
  await new Promise((res) => setTimeout(res, 200));
  await server.restart();
  await whenReady(redis, 10_000);
  await new Promise((res) => setTimeout(res, 300));
  await run.stop();
  await batcher.drain();

  const successes = run.outcomes.filter((o) => o.r.outcome === Outcome.Success);
  const unknown = run.outcomes.filter((o) => o.r.outcome === 'unknown');
  t.ok(confirmedBeforeCrash > 0, `${confirmedBeforeCrash} confirmed before the crash`);
  t.ok(successes.length > confirmedBeforeCrash, 'sales went on after the restart');
  t.ok(unknown.length > 0, `${unknown.length} purchases in the outage were answered "unknown"`);
  t.notOk(run.outcomes.some((o) => typeof o.r.outcome === 'number' && o.r.outcome !== Outcome.Success), 'no false refusals');
  // Read back over a patient connection: ~20,000 lookups pipelined at once can take longer than the purchases'
  // 500 ms on a busy machine, and how fast they are is not what this file tests.
  const checker = new SaleEngine(await connect(10_000));
  const orders = await Promise.all(successes.map((s) => checker.getOrder(s.orderId)));
  const missing = successes.filter((s, i) => orders[i]?.user !== s.user).map((s) => s.orderId);
  t.same(missing, [], `all ${successes.length} confirmed orders survived kill -9 (appendfsync always)`);
  const audit = await checker.audit(sale);
  t.ok(audit.ok, audit.problems.join('; '));
  t.equal(audit.countedHeld, (await checker.status(sale))!.held);
});

t.test('SCRIPT FLUSH mid-run: NOSCRIPT is handled inside ioredis and never reaches a caller', async (t) => {
  const redis = await connect();
  const admin = await connect();
  const engine = new SaleEngine(redis);
  const sale = 'flush';
  await new SaleEngine(await connect(10_000)).createSale({ id: sale, total: 100_000, perUserLimit: 1, holdSeconds: 600, anonymous: false });
  const batcher = new ReservationBatcher(engine, { maxBatch: 16, windowMs: 1 });
  const errors: string[] = [];
  const run = buyers(batcher, sale, 16);
  // other scripts too, concurrently: status, get-order, pay
  let side = true;
  const sideLoop = (async () => {
    while (side) {
      try {
        await engine.status(sale);
        const done = run.outcomes.find((o) => o.r.outcome === Outcome.Success && !('paid' in o));
        if (done) {
          (done as Record<string, unknown>).paid = true;
          await engine.getOrder(done.orderId);
          await engine.pay(done.orderId);
        }
      } catch (err) {
        errors.push(String(err));
      }
    }
  })();
  const noscriptBefore = noscriptCount(await admin.info('errorstats'));
  for (let i = 0; i < 10; i++) {
    await new Promise((res) => setTimeout(res, 25));
    await admin.script('FLUSH');
  }
  await new Promise((res) => setTimeout(res, 50));
  side = false;
  await sideLoop;
  await run.stop();
  await batcher.drain();
  const noscript = noscriptCount(await admin.info('errorstats')) - noscriptBefore;
  t.ok(noscript > 0, `Redis answered NOSCRIPT ${noscript} times (the fallback was exercised)`);
  t.same(errors, [], 'no error reached a caller');
  t.same(run.outcomes.filter((o) => o.r.outcome !== Outcome.Success).map((o) => o.r), [], 'every purchase succeeded');
  const audit = await engine.audit(sale);
  t.ok(audit.ok, audit.problems.join('; '));
  t.ok(audit.countedPaid > 0);
});

function noscriptCount(info: string): number {
  const m = /errorstat_NOSCRIPT:count=(\d+)/.exec(info);
  return m ? Number(m[1]) : 0;
}
