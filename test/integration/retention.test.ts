// Lifecycle events on the sale stream and retention (lua/retire-orders-5.lua, lua/trim-stream-3.lua): every change
// reaches the stream once; only final orders leave Redis; the audit still closes; a buyer's retry inside the
// idempotency window gets the same order back; the stream keeps what is unacknowledged or named by a deadline;
// a fully final, retired sale keeps under a fifth of its memory.
import t from 'tap';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { buyerKeyClaim, saleKeys } from '../../src/redis/keys.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { makeFinalSale, retireAll, saleMemory } from '../helpers/final-sale.js';
import { RedisServer } from '../helpers/redis-server.js';
import { orderIdOf, fieldsOf } from '../helpers/purchase-results.js';

const server = await RedisServer.start();
t.teardown(() => server.stop());
const redis = (await connectRedisReady(server.url, { commandTimeoutMs: 15_000 })) as Redis;
t.teardown(() => redis.disconnect());
const engine = new SaleEngine(redis);

/** event -> order ids named by `ev <event>` entries, in stream order (duplicates kept). */
async function events(sale: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = { paid: [], cancelled: [], expired: [] };
  for (const [, f] of await redis.xrange(saleKeys(sale).stream, '-', '+')) {
    if (f[0] !== 'ev') continue;
    for (let i = 2; i < f.length; i += 2) out[f[1]].push(f[i]);
  }
  return out;
}

t.test('events, retirement, replays and the audit on a 6,000-order sale', async (t) => {
  const sale = 'RT';
  const N = 6000;
  let heldRetire = { retired: 0, live: 0 };
  let windowMs = 0;
  const s = await makeFinalSale(engine, sale, {
    orders: N,
    holdSeconds: 4,
    beforeExpiry: async (s) => {
      const len = await redis.xlen(saleKeys(sale).stream);
      await engine.pay(s.paid[0]); // already paid: no change, no event
      await engine.cancel(s.cancelled[0]);
      t.equal(await redis.xlen(saleKeys(sale).stream), len, 'paying a paid order and cancelling a cancelled one write no event');
      // Before the sweep: paid and cancelled orders leave, held ones stay. The window outlives the test's wait
      // for the holds, so these orders' idempotency records are kept.
      windowMs = Date.now() - s.madeAt + 9000;
      for (let i = 0; i < s.ids.length; i += 1000) {
        const r = await engine.retireOrders(sale, s.ids.slice(i, i + 1000), windowMs);
        heldRetire = { retired: heldRetire.retired + r.retired, live: heldRetire.live + r.live };
      }
    },
  });
  t.same(heldRetire, { retired: s.paid.length + s.cancelled.length, live: s.expired.length }, 'only final orders retired; held ones skipped');

  const ev = await events(sale);
  t.same([...ev.paid].sort(), [...s.paid].sort(), 'one paid event per paid order, exactly once');
  t.same([...ev.cancelled].sort(), [...s.cancelled].sort(), 'one cancelled event per cancelled order, exactly once');
  t.same([...ev.expired].sort(), [...s.expired].sort(), 'one expired event per expired order, exactly once');

  // A hold past its deadline but swept already is final now; ids retired before are no-ops.
  let again = 0;
  for (let i = 0; i < s.ids.length; i += 1000) again += (await engine.retireOrders(sale, s.ids.slice(i, i + 1000), windowMs)).retired;
  t.equal(again, s.expired.length, 'a second pass retires the expired orders only: retiring twice is a no-op');
  t.equal(await redis.hlen(saleKeys(sale).orders), 0, 'no order record left');
  const st = (await engine.status(sale))!;
  t.same(st.retired, { paid: s.paid.length, cancelled: s.cancelled.length, expired: s.expired.length }, 'retired counters');
  t.equal(st.paid, s.paid.length, 'meta paid still counts retired paid orders');
  t.equal(st.remaining, N - s.paid.length, 'remaining unchanged by retention');

  const audit = await engine.audit(sale);
  t.ok(audit.ok, `the audit still closes after retention: ${JSON.stringify(audit.problems)}`);
  t.equal(audit.countedPaid, s.paid.length, 'counted paid = retired paid');
  t.equal(audit.retired, N);

  // Retries inside the window: the same order id back, in the final state it retired with (its idempotency
  // record was marked with it), as a live one would replay.
  const retry = await engine.reserveBatch(sale, newBatchId(), [
    { orderId: newOrderId(sale), user: 'u0', idempotencyKey: 'RT-key-0' }, // paid, retired
    { orderId: newOrderId(sale), user: `u${N - 1}`, idempotencyKey: `RT-key-${N - 1}` }, // expired, retired
    { orderId: newOrderId(sale), user: 'u1', idempotencyKey: 'another-key' }, // limit 1: the holder names a retired order
  ]);
  t.match(retry.results[0], { outcome: 1, orderId: s.ids[0], replayed: true, status: 'paid' }, 'retry by key: same order id, paid');
  t.notOk(fieldsOf(retry.results[0]).byUser, 'found by the buyer\'s key');
  t.match(retry.results[1], { outcome: 1, orderId: s.ids[N - 1], replayed: true, status: 'expired' }, 'a retired expired order replays expired');
  t.match(retry.results[2], { outcome: 1, orderId: s.ids[1], replayed: true, status: 'paid', byUser: true }, 'at limit 1: the retired order named by the holder is paid, found by the user');
  t.match(await redis.hget(saleKeys(sale).idem, 'u0 RT-key-0'), new RegExp(`^${s.ids[0].replace(/[.]/g, '\\.')}\\|u0\\|p$`), 'the kept record carries the final state');
  t.equal(await engine.getOrder(s.ids[0]), null, 'getOrder of a retired order is null (PostgreSQL answers it)');
  await t.rejects(engine.pay(s.ids[0]), { code: 'ORDER_NOT_FOUND' });

  t.equal(await redis.hlen(saleKeys(sale).idem), N, 'idempotency records kept inside the window');
  t.equal(await redis.exists(buyerKeyClaim('u0', 'RT-key-0')), 1, "and the buyer's key claim with it");
  await sleep(Math.max(0, s.madeAt + windowMs + 50 - Date.now()));
  let dropped = 0;
  for (let r = await engine.retireOrders(sale, [], windowMs); r.idemDropped > 0; r = await engine.retireOrders(sale, [], windowMs)) {
    t.ok(r.idemDropped <= 1000, 'at most 1000 per call');
    dropped += r.idemDropped;
  }
  t.equal(dropped, N, 'past the window later calls drop them');
  t.equal(await redis.exists(saleKeys(sale).idem, saleKeys(sale).idemDue), 0, 'no idempotency record left');
  t.equal(await redis.exists(buyerKeyClaim('u0', 'RT-key-0'), buyerKeyClaim(`u${N - 1}`, `RT-key-${N - 1}`)), 0, "nor the buyers' key claims (their window is over too)");
  t.ok((await engine.audit(sale)).ok, 'the audit closes without them');
});

t.test('the stream is trimmed only below the oldest unacknowledged entry and below live deadlines', async (t) => {
  const sale = 'TR';
  await engine.createSale({ id: sale, total: 100, perUserLimit: 10, holdSeconds: 600, anonymous: false });
  const k = saleKeys(sale);
  const buy = async (n: number) => {
    const r = await engine.reserveBatch(sale, newBatchId(), Array.from({ length: n }, (_, i) => ({ orderId: newOrderId(sale), user: `w${i}` })));
    return r.results.map((x) => orderIdOf(x));
  };
  const a = await buy(2);
  await engine.pay(a[0]);
  await engine.pay(a[1]); // batch a: all paid, its deadline still stands until the sweep passes it
  // The bound below live deadlines is found from the lowest deadline score alone, with a second of margin.
  await sleep(1100);
  await buy(2);
  const ids = (await redis.xrange(k.stream, '-', '+')).map((e) => e[0]);
  t.equal(ids.length, 4, 'a reserve entry, two pay events, a reserve entry');
  const ms = (id: string) => Number(id.slice(0, id.indexOf('-')));
  const beyond = `${Date.now() + 60_000}-0`;
  const r1 = await engine.trimStream(sale, beyond);
  t.equal(r1.removed, 0, "batch a's deadline names the first entry: nothing is removed");
  t.ok(ms(r1.cut) <= ms(ids[0]), `the cut (${r1.cut}) is at or below that entry (${ids[0]})`);
  t.equal(await redis.zcard(k.deadlines), 2);
  // Once batch a's member is gone, batch b's deadline is the lowest: everything a second older than b may go.
  await redis.zrem(k.deadlines, ids[0]);
  const r2 = await engine.trimStream(sale, beyond);
  t.equal(r2.removed, 3, "batch a's entry and its two pay events go");
  t.same((await redis.xrange(k.stream, '-', '+')).map((e) => e[0]), [ids[3]], "batch b's entry, which its deadline names, stays");
  await buy(1);
  await redis.del(k.deadlines);
  const later = (await redis.xrange(k.stream, '-', '+')).map((e) => e[0]);
  const r3 = await engine.trimStream(sale, later[1]);
  t.same([r3.removed, r3.cut], [1, later[1]], 'without deadlines: cut at the oldest unacknowledged entry, which stays');
  t.same((await redis.xrange(k.stream, '-', '+')).map((e) => e[0]), [later[1]], 'the unacknowledged entry, made later, is untouched');
  await t.rejects(engine.trimStream(sale, 'x-1'), { code: 'ERR_INVALID_ARGUMENT' });
});

t.test('a fully final sale, retired with idemWindowMs 0 and trimmed, keeps under 20 % of its memory', async (t) => {
  const sale = 'MEM';
  const s = await makeFinalSale(engine, sale, { orders: 8000, holdSeconds: 3 });
  const before = await saleMemory(redis, sale);
  t.equal(await retireAll(engine, redis, sale, s.ids, 0), 8000);
  const after = await saleMemory(redis, sale);
  const drop = 1 - after.keys / before.keys;
  t.ok(drop >= 0.8, `memory of the sale's keys ${before.keys} -> ${after.keys} bytes: ${(drop * 100).toFixed(1)} % drop (${JSON.stringify(after.byKey)})`);
  t.ok((await engine.audit(sale)).ok, 'the audit closes');
});
