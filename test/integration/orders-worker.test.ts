// The order worker carries every order from Redis into PostgreSQL: real redis-server, real PostgreSQL, the
// real `ticket-spike orders-worker` process. Exactly once in effect: the table equals what Redis decided,
// per order and per status, through a worker SIGKILLed mid-batch (its pending entries claimed by another),
// PostgreSQL restarted and Redis restarted;
// and once a sale is final and consumed, Redis keeps under a fifth of what it held (INFO used_memory).
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { ORDER_GROUP, orderLag } from '../../src/redis/order-stream.js';
import { saleKeys } from '../../src/redis/keys.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { OrderStore } from '../../src/store/order-store.js';
import { makeFinalSale } from '../helpers/final-sale.js';
import { startOrderStack } from '../helpers/order-stack.js';
import { WorkerProcess } from '../helpers/worker-process.js';
import { OrderWorker } from '../../src/node/worker/order-worker.js';

const { redisServer, pg, redis, engine, pool } = await startOrderStack(t);

/** Waits until no sale has pending or unread entries (the workers caught up), or throws after `ms`. */
async function caughtUp(sales: string[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const lags = await Promise.all(sales.map((s) => orderLag(redis, s, Date.now()).catch(() => null)));
    if (lags.every((l) => l !== null && l.group && l.pending === 0 && l.unread === 0)) return;
    if (Date.now() > deadline) throw new Error(`workers did not catch up: ${JSON.stringify(lags)}`);
    await sleep(100);
  }
}

async function stored(sale: string): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ order_id: string; status: string }>('select order_id, status from orders where sale_id = $1', [sale]);
  return new Map(rows.map((r) => [r.order_id, r.status]));
}

async function rowCount(sale: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('select count(*) n from orders where sale_id = $1', [sale]);
  return Number(rows[0].n);
}

/** Polls `check` (an error counts as false: a server restarting) every 100 ms until true; false after `ms`. */
async function waitFor(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/** The ids of the entries one consumer read and has not acknowledged (XPENDING, extended form). */
async function pendingOf(sale: string, consumer: string, deliveredWithinMs = Infinity): Promise<string[]> {
  const list = (await redis.xpending(saleKeys(sale).stream, ORDER_GROUP, '-', '+', 10_000, consumer)) as Array<[string, string, number, number]>;
  return list.filter(([, , idleMs]) => idleMs < deliveredWithinMs).map(([id]) => id);
}

/** The orders one stream entry names: (orderId, user) pairs after its leading pair. */
async function ordersOf(sale: string, id: string): Promise<string[]> {
  const [entry] = (await redis.xrange(saleKeys(sale).stream, id, id)) as Array<[string, string[]]>;
  const fields = entry?.[1] ?? [];
  const ids: string[] = [];
  for (let i = 2; i + 1 < fields.length; i += 2) ids.push(fields[i]);
  return ids;
}

async function usedMemory(): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

t.test('a 100,000-order sale with pays, cancels and expiries: the table equals what Redis decided, and Redis lets go of it', async (t) => {
  const empty = await usedMemory();
  // Made before any worker runs, so "before" is the sale as Redis alone would keep it.
  const a = await makeFinalSale(engine, 'W1', { orders: 100_000, holdSeconds: 15, paidShare: 0.3, cancelledShare: 0.1 });
  const before = (await usedMemory()) - empty;
  const worker = WorkerProcess.start(redisServer.url, pg.url, ['--idem-window-ms', '0', '--batch', '500']);
  t.teardown(() => worker.stop());
  await caughtUp(['W1'], 120_000);
  // The worker trims the stream and sweeps what is left once the sale is quiet (about a second).
  let after = before;
  for (let i = 0; i < 50 && after > before * 0.2; i++) {
    await sleep(200);
    after = (await usedMemory()) - empty;
  }
  t.ok(after <= before * 0.2, `INFO used_memory of the sale: ${before} B before the worker, ${after} B after (${((1 - after / before) * 100).toFixed(1)} % less)`);

  const table = await stored('W1');
  t.equal(table.size, a.ids.length, 'one row per order, no more, no less');
  const expected = [...a.paid.map((id) => [id, 'paid']), ...a.cancelled.map((id) => [id, 'cancelled']), ...a.expired.map((id) => [id, 'expired'])];
  t.same(expected.filter(([id, status]) => table.get(id) !== status).slice(0, 5), [], 'every order has the status Redis gave it');
  const { rows } = await pool.query<{ status: string; n: string }>("select status, count(*) n from orders where sale_id = 'W1' group by status order by status");
  t.same(Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])), { cancelled: a.cancelled.length, expired: a.expired.length, paid: a.paid.length }, 'counts per status');
  const tickets = await pool.query<{ n: string }>("select count(*) n from orders where sale_id = 'W1' and status = 'paid' and ticket is null");
  t.equal(Number(tickets.rows[0].n), a.paid.length, 'no ticket without a key directory (the worker was given none)');
  t.equal(await redis.hlen('{sale:W1}:orders'), 0, 'final orders left Redis after their commit');
  const store = new OrderStore(pool);
  const sample = [a.paid[0], a.cancelled[0], a.expired[a.expired.length - 1]];
  t.same((await Promise.all(sample.map((id) => store.getOrder(id)))).map((o) => o?.status), ['paid', 'cancelled', 'expired'], 'and answer from PostgreSQL');
  const audit = await engine.audit('W1');
  t.ok(audit.ok, `the audit closes after retention (${audit.problems.slice(0, 2).join('; ')})`);
});

t.test('worker SIGKILLed mid-batch leaves pending entries another worker claims; PostgreSQL and Redis restarted: nothing lost, nothing doubled, lag back to 0', async (t) => {
  const sale = 'W3';
  await engine.createSale({ id: sale, total: 1_000_000, perUserLimit: 1, holdSeconds: 600, anonymous: false });
  const confirmed = new Map<string, 'held' | 'paid'>();
  let buying = true;
  let n = 0;
  const buyer = (async () => {
    while (buying) {
      const purchases = Array.from({ length: 50 }, () => ({ orderId: newOrderId(sale), user: `r${n++}` }));
      try {
        const reply = await engine.reserveBatch(sale, newBatchId(), purchases);
        for (const r of reply.results) if ('orderId' in r) confirmed.set(r.orderId, 'held');
        // Every other order is paid at once: the paid event must reach the table too.
        for (const r of reply.results.slice(0, 25)) {
          if ('orderId' in r && (await engine.pay(r.orderId).then(() => true, () => false))) confirmed.set(r.orderId, 'paid');
        }
      } catch {
        await sleep(50); // Redis restarting: unknown outcomes are simply not counted as confirmed
      }
      await sleep(5);
    }
  })();
  const args = ['--claim-idle-ms', '500', '--batch', '5'];
  const doomed = WorkerProcess.start(redisServer.url, pg.url, ['--consumer', 'doomed', ...args]);
  t.teardown(() => doomed.stop());
  t.ok(await waitFor(30_000, async () => (await rowCount(sale)) > 0), 'the first worker carries orders');

  // Mid-batch for sure: with PostgreSQL frozen, the worker holds entries it read and cannot commit.
  pg.freeze();
  t.teardown(() => pg.thaw());
  // Entries the worker read and cannot commit while PostgreSQL is frozen stay pending: read after the freeze, or
  // read just before it by a commit the freeze caught (on a busy machine a commit is in flight most of the time).
  // Pending for a second and more is the proof; an entry committed meanwhile is acknowledged within milliseconds.
  t.ok(
    await waitFor(15_000, async () => (await pendingOf(sale, 'doomed')).length > (await pendingOf(sale, 'doomed', 1000)).length),
    'the worker holds entries it cannot acknowledge, with PostgreSQL frozen',
  );
  await doomed.kill('SIGKILL');
  const left = await pendingOf(sale, 'doomed');
  t.ok(left.length > 0, `the SIGKILLed worker left ${left.length} entries pending (XPENDING)`);
  const named = (await Promise.all(left.map((id) => ordersOf(sale, id)))).flat();
  t.ok(named.length > 0, `naming ${named.length} orders`);
  pg.thaw();

  const worker = WorkerProcess.start(redisServer.url, pg.url, args);
  const second = WorkerProcess.start(redisServer.url, pg.url, args);
  t.teardown(async () => {
    await worker.stop();
    await second.stop();
  });
  // Only XAUTOCLAIM moves an entry out of a consumer's pending list (the others never read it again with '>').
  t.ok(await waitFor(30_000, async () => (await pendingOf(sale, 'doomed')).length === 0), "another worker claimed the dead worker's entries");
  t.ok(
    await waitFor(30_000, async () => {
      const { rows } = await pool.query<{ n: string }>('select count(*) n from orders where order_id = any($1)', [named]);
      return Number(rows[0].n) === new Set(named).size;
    }),
    'and every order they name is in PostgreSQL',
  );

  const beforePg = await rowCount(sale);
  await pg.kill('SIGKILL');
  await pg.restart();
  t.ok(await waitFor(30_000, async () => (await rowCount(sale)) > beforePg), 'after PostgreSQL was killed and restarted, new orders reach it again');

  const madeBefore = (await engine.status(sale))!.ordersMade;
  await redisServer.kill('SIGKILL');
  await redisServer.restart();
  t.ok(await waitFor(10_000, async () => ((await engine.status(sale).catch(() => null))?.ordersMade ?? -1) >= madeBefore), 'Redis restarted on its AOF with every order it had made');
  const beforeRedis = await rowCount(sale);
  t.ok(await waitFor(30_000, async () => (await rowCount(sale)) > beforeRedis), 'and new orders reach PostgreSQL after the Redis restart');
  buying = false;
  await buyer;
  await caughtUp([sale], 60_000);
  const table = await stored(sale);
  const missing = [...confirmed].filter(([id]) => !table.has(id));
  t.same(missing.slice(0, 5), [], `every confirmed order (${confirmed.size}) is in PostgreSQL`);
  const wrongStatus = [...confirmed].filter(([id, status]) => status === 'paid' && table.get(id) !== 'paid');
  t.same(wrongStatus.slice(0, 5), [], 'every confirmed payment is paid there');
  const { rows } = await pool.query<{ n: string; d: string }>('select count(*) n, count(distinct order_id) d from orders where sale_id = $1', [sale]);
  t.equal(rows[0].n, rows[0].d, 'no order twice');
  const status = await engine.status(sale);
  t.equal(Number(rows[0].n), status!.ordersMade, 'PostgreSQL has exactly the orders Redis made');
  const lag = await orderLag(redis, sale, Date.now());
  t.same([lag.pending, lag.unread], [0, 0], 'lag back to 0');
});

t.test("the sales row follows an operator's changes: added stock and a close reach PostgreSQL", async (t) => {
  const sale = 'WOPS';
  await engine.createSale({ id: sale, total: 5, perUserLimit: 1, holdSeconds: 60, anonymous: false });
  const worker = new OrderWorker(redis, engine, new OrderStore(pool), { consumer: 'ops-test', batch: 10, claimIdleMs: 60_000, idemWindowMs: 0, idleMs: 0, refreshMs: 0 }, { info: () => {}, warn: () => {} });
  const row = async () => (await pool.query<{ total: number; closes_at: Date | null; id_key: string | null }>('select total, closes_at, id_key from sales where sale_id = $1', [sale])).rows[0];
  await worker.pass();
  const idKey = await redis.hget(saleKeys(sale).meta, 'idKey');
  t.match(idKey, /^[0-9a-f]{32}$/, 'the sale has an order-id key in Redis');
  t.match(await row(), { total: 5, closes_at: null, id_key: idKey }, "the sale as created, with its order-id key (a node checks a gone sale's ids with it)");
  await engine.addStock(sale, 3);
  const { closesAt } = await engine.close(sale);
  await worker.pass();
  const after = await row();
  t.equal(after?.total, 8, 'the total with the added stock');
  t.equal(after?.closes_at?.getTime(), closesAt, 'closes_at = the moment of the close');
});
