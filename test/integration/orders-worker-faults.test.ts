// The order worker keeps a fault with its sale, and catches up after an outage (issue 18, part 2): real
// redis-server, real PostgreSQL, the real `ticket-spike orders-worker` process (and, for the polling set, an
// OrderWorker in this process with its own clock). A sale whose consumer group was destroyed does not hold the
// other sales up and recovers; after PostgreSQL was frozen, the worker's own unacknowledged entries are taken up
// again at once, not after --claim-idle-ms; finished, drained sales cost the worker no Redis calls per pass.
import t from 'tap';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { OrderWorker } from '../../src/node/worker/order-worker.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SALES_SET, saleKeys } from '../../src/redis/keys.js';
import { orderLag, ORDER_GROUP } from '../../src/redis/order-stream.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import type { OrderView } from '../../src/sale/types.js';
import { OrderStore } from '../../src/store/order-store.js';
import { freePort } from '../helpers/free-port.js';
import { startOrderStack } from '../helpers/order-stack.js';
import { WorkerProcess } from '../helpers/worker-process.js';

const { redisServer, pg, redis, engine, pool } = await startOrderStack(t);

/** Polls `check` every 100 ms until it returns true; false after `ms` (the caller asserts). */
async function waitFor(ms: number, check: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

async function rows(sale: string): Promise<number> {
  const { rows: r } = await pool.query<{ n: string }>('select count(*) n from orders where sale_id = $1', [sale]);
  return Number(r[0].n);
}

/** Makes `n` orders in one reserve-batch call, as a node would; returns their ids. */
async function buy(sale: string, n: number, from: number): Promise<string[]> {
  const purchases = Array.from({ length: n }, (_, i) => ({ orderId: newOrderId(sale), user: `u${from + i}` }));
  const reply = await engine.reserveBatch(sale, newBatchId(), purchases);
  return reply.results.flatMap((r) => ('orderId' in r ? [r.orderId] : []));
}

/** Purchases every 20 ms until stopped, by users u<from>, u<from + 1>, ...; the ids of every order Redis confirmed. */
function buyer(sale: string, perBatch: number, from: number): { ids: string[]; stop: () => Promise<void> } {
  const ids: string[] = [];
  let buying = true;
  let n = from;
  const loop = (async () => {
    while (buying) {
      ids.push(...(await buy(sale, perBatch, n)));
      n += perBatch;
      await sleep(20);
    }
  })();
  return {
    ids,
    stop: async () => {
      buying = false;
      await loop;
    },
  };
}

/** The group's pending entries: in all, and this consumer's. */
async function pendingOf(sale: string, consumer: string): Promise<{ all: number; mine: number }> {
  const summary = (await redis.xpending(saleKeys(sale).stream, ORDER_GROUP)) as [number, string | null, string | null, Array<[string, string]> | null];
  const mine = (summary[3] ?? []).find(([name]) => name === consumer);
  return { all: summary[0], mine: mine === undefined ? 0 : Number(mine[1]) };
}

async function metricsText(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

t.test("a sale whose consumer group was destroyed does not hold the other sales up, and recovers", async (t) => {
  // GA sorts before GB: a worker that stops at the first failing sale never reaches GB.
  for (const id of ['GA', 'GB']) await engine.createSale({ id, total: 1_000_000, perUserLimit: 1, holdSeconds: 600, anonymous: false });
  const port = await freePort();
  const worker = WorkerProcess.start(redisServer.url, pg.url, ['--batch', '50', '--metrics-port', String(port)]);
  t.teardown(() => worker.stop());
  const first = [...(await buy('GA', 20, 0)), ...(await buy('GB', 20, 0))];
  // Bounds well above a passing run's seconds, and low enough that a failing file ends inside tap's timeout.
  if (!t.ok(await waitFor(20_000, async () => (await rows('GA')) + (await rows('GB')) === first.length), 'both sales reach PostgreSQL before the fault')) return;

  await redis.xgroup('DESTROY', saleKeys('GA').stream, ORDER_GROUP);
  const gb = buyer('GB', 10, 1000);
  t.teardown(() => gb.stop());
  const gaLater = await buy('GA', 20, 100);
  t.ok(await waitFor(20_000, () => gb.ids.length >= 100), 'GB keeps selling');
  await gb.stop();
  await waitFor(20_000, async () => (await rows('GB')) === 20 + gb.ids.length && (await rows('GA')) === 40);
  t.equal(await rows('GB'), 20 + gb.ids.length, `every GB order made after GA's group was destroyed reaches PostgreSQL (${gb.ids.length})`);
  t.equal(await rows('GA'), 40, `GA recovers: its ${gaLater.length} orders made after the fault reach PostgreSQL too`);
  const lag = await orderLag(redis, 'GA', Date.now());
  t.match(lag, { group: true, pending: 0, unread: 0 }, "GA's group exists again and owes nothing");
  const text = await metricsText(port);
  t.match(text, /ticket_spike_worker_sale_errors_total\{sale="GA",consumer="[^"]+"\} [1-9]/, 'the failure is counted for GA');
  t.notMatch(text, /ticket_spike_worker_sale_errors_total\{sale="GB"/, 'and nothing for GB');
  t.match(worker.output, /"sale":"GA"[^\n]*NOGROUP[^\n]*"group":"re-created"/, 'the log names the sale, the error and the repair');
});

t.test("after PostgreSQL was frozen, the worker's own unacknowledged entries are carried at once, not after --claim-idle-ms", async (t) => {
  const sale = 'FZ';
  await engine.createSale({ id: sale, total: 1_000_000, perUserLimit: 1, holdSeconds: 600, anonymous: false });
  // claim-idle-ms of an hour: XAUTOCLAIM cannot be what takes the entries up again in this test.
  const consumer = 'frozen-test';
  const worker = WorkerProcess.start(redisServer.url, pg.url, ['--consumer', consumer, '--batch', '5', '--claim-idle-ms', '3600000']);
  t.teardown(() => worker.stop());
  const buying = buyer(sale, 10, 0);
  t.teardown(() => buying.stop());
  if (!t.ok(await waitFor(20_000, async () => (await rows(sale)) > 0), 'the worker carries orders')) return;
  pg.freeze();
  t.teardown(() => pg.thaw());
  // A commit on a frozen server fails after the client's query timeout (11 s) or connection timeout (5 s).
  if (!t.ok(await waitFor(40_000, () => /step failed/.test(worker.output)), 'a commit failed while PostgreSQL was frozen')) return;
  t.ok(await waitFor(10_000, async () => (await pendingOf(sale, consumer)).mine > 0), "entries the worker read are its own pending ones (XPENDING)");
  const before = await pendingOf(sale, consumer);
  pg.thaw();
  await buying.stop();
  const made = (await engine.status(sale))!.ordersMade;
  t.ok(
    await waitFor(40_000, async () => {
      const lag = await orderLag(redis, sale, Date.now());
      return lag.pending === 0 && lag.unread === 0;
    }),
    `the ${before.mine} pending entries and the backlog are acknowledged within 40 s (claim-idle-ms is an hour)`,
  );
  t.equal(await rows(sale), made, `every order (${made}) is in PostgreSQL`);
  t.equal((await pendingOf(sale, consumer)).all, 0, 'XPENDING is empty');
});

t.test('finished, drained sales leave the polling set: Redis calls per pass do not grow with them, and one comes back when it has work', async (t) => {
  let clock = 1_000_000;
  const workerRedis = (await connectRedisReady(redisServer.url, { commandTimeoutMs: 10_000 })) as Redis;
  t.teardown(() => workerRedis.disconnect());
  const log = { info: () => {}, warn: (o: object, m: string) => t.comment(`worker warn: ${m} ${JSON.stringify(o)}`) };
  const worker = new OrderWorker(
    workerRedis,
    new SaleEngine(workerRedis),
    new OrderStore(pool),
    // claim-idle-ms of an hour: no XAUTOCLAIM falls into one window of passes and not the other.
    { consumer: 'polling-test', batch: 100, claimIdleMs: 3_600_000, idemWindowMs: 0, idleMs: 0, refreshMs: 2000, dormantCheckMs: 60_000, now: () => clock },
    log,
  );
  // The sales of the tests above are done: every pass below sees the same ones, so they cancel out of the comparison.
  const passes = async (n: number, stepMs: number) => {
    for (let i = 0; i < n; i++) {
      await worker.pass();
      clock += stepMs;
    }
  };
  /** Passes `stepMs` apart until `done` (checked after each), at most `max`; how many it took, or null. */
  const passesUntil = async (max: number, stepMs: number, done: () => Promise<boolean> | boolean) => {
    for (let i = 1; i <= max; i++) {
      await passes(1, stepMs);
      if (await done()) return i;
    }
    return null;
  };
  /** Redis commands over 20 passes, 100 ms apart by the worker's clock (one refresh, two quiet-time trims). */
  const commandsPer20Passes = async () => {
    const count = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))![1]);
    const before = await count();
    await passes(20, 100);
    return (await count()) - before - 1; // the INFO above
  };
  await engine.createSale({ id: 'LIVE', total: 100, perUserLimit: 1, holdSeconds: 600, anonymous: false });
  await passes(40, 100);
  const base = await commandsPer20Passes();

  const finished = Array.from({ length: 20 }, (_, i) => `FIN${i}`);
  const paid: OrderView[] = [];
  for (const sale of finished) {
    await engine.createSale({ id: sale, total: 10, perUserLimit: 1, holdSeconds: 600, anonymous: false });
    const [a, b, c] = await buy(sale, 3, 0);
    paid.push(await engine.pay(a), await engine.pay(b));
    await engine.cancel(c);
    await engine.close(sale);
  }
  // Listed in ts:sales without any keys (e.g. deleted by hand): a worker must neither poll it nor trip over it.
  await redis.sadd(SALES_SET, 'GHOST');
  const settled = await passesUntil(200, 500, () => {
    const p = worker.polling();
    return finished.every((s) => p.dormant.includes(s)) && p.gone.includes('GHOST');
  });
  t.not(settled, null, `every finished sale went dormant once drained, the sale without keys is gone (${settled} passes)`);
  t.ok(worker.polling().active.includes('LIVE'), 'the open sale is still polled');
  for (const sale of finished) t.equal(await rows(sale), 3, `${sale}: its 3 orders are in PostgreSQL`);
  t.equal(await redis.hlen(saleKeys('FIN0').orders), 0, 'and retired from Redis');
  t.equal(await redis.exists(saleKeys('GHOST').stream), 0, 'no stream was made for the sale without keys');

  const withFinished = await commandsPer20Passes();
  t.ok(withFinished <= base + 3, `Redis commands per 20 passes: ${base} with one open sale, ${withFinished} with 20 finished ones and a gone one as well`);

  // A gate admits a ticket of a dormant sale weeks later: an entry on its stream. Looked at again after
  // dormantCheckMs, one resting sale per pass, and carried.
  const late = paid[7];
  await engine.checkIn(late, 'GATE1');
  clock += 60_000;
  const took = await passesUntil(40, 100, async () => {
    const { rows: r } = await pool.query<{ gate: string | null }>('select checked_in_gate gate from orders where order_id = $1', [late.id]);
    return r[0]?.gate === 'GATE1';
  });
  t.not(took, null, `the check-in of a dormant sale reached PostgreSQL (${took} passes: resting sales are looked at one per pass)`);
  await passes(30, 100);
  t.ok(worker.polling().dormant.includes('FIN7'), 'and the sale went dormant again');
});
