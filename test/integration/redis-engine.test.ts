import t from 'tap';
import type { Redis } from 'ioredis';
import { RedisServer, redisClients } from '../helpers/redis-server.js';
import { SaleEngine } from '../../src/sale/engine.js';
import type { PurchaseRequest } from '../../src/sale/types.js';
import { ReservationBatcher, type ReserveOutcome } from '../../src/sale/batcher.js';
import { saleKeys, batchKey, buyerKeyClaim } from '../../src/redis/keys.js';
import { scriptsOf } from '../../src/redis/scripts.js';
import { EngineError, Outcome, ScriptCode, errorFromCode } from '../../src/redis/codes.js';
import { BATCH_SIZE } from '../../src/rules/input-rules.js';
import { newBatchId, newIdKey, newOrderId } from '../../src/sale/ids.js';
import { orderIdOf, fieldsOf } from '../helpers/purchase-results.js';

/** DUMP of every key in the server: compare before/after to prove a call wrote nothing. */
async function snapshot(redis: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) out.set(k, (await redis.dumpBuffer(k))?.toString('hex') ?? '');
  } while (cursor !== '0');
  return out;
}

const server = await RedisServer.start();
t.teardown(() => server.stop());
const client = redisClients(t, server.url);
const redis = await client();
const engine = new SaleEngine(redis);

t.test('concurrent batches from 4 connections: no oversell, limits hold, each success is one order + one stream entry', async (t) => {
  const sale = 'conc';
  const total = 60;
  const limit = 2;
  await engine.createSale({ id: sale, total, perUserLimit: limit, holdSeconds: 300, anonymous: false });
  const batchers = await Promise.all(
    [0, 1, 2, 3].map(async (i) => new ReservationBatcher(new SaleEngine(await client()), { maxBatch: 16, windowMs: 1 }, `n${i}`)),
  );
  const users = Array.from({ length: 120 }, (_, i) => `user-${i}`);
  const calls: { p: PurchaseRequest; r: Promise<ReserveOutcome> }[] = [];
  let seed = 42;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  for (let i = 0; i < 1500; i++) {
    const user = users[rnd(users.length)];
    const r = rnd(10);
    // 30 % carry a key the same user re-uses, 10 % a key other users pick too (a key is scoped to its buyer)
    const idempotencyKey = r < 3 ? `${user}-k${rnd(2)}` : r < 4 ? `shared-${rnd(3)}` : undefined;
    const p: PurchaseRequest = { orderId: newOrderId(sale), user, idempotencyKey };
    calls.push({ p, r: batchers[i % 4].reserve(sale, p) });
    if (i % 50 === 0) await new Promise((res) => setImmediate(res));
  }
  const results = await Promise.all(calls.map((c) => c.r));
  await Promise.all(batchers.map((b) => b.drain()));

  const orderUser = new Map<string, string>();
  const byKey = new Map<string, string>();
  let mismatches = 0;
  const wrong: string[] = [];
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    const p = calls[i].p;
    if (r.outcome === 'unknown') wrong.push(`#${i} unknown: ${r.reason}`);
    if (r.outcome === Outcome.IdempotencyMismatch) mismatches++;
    if (r.outcome !== Outcome.Success) continue;
    const id = (r as { orderId: string }).orderId;
    if (orderUser.has(id) && orderUser.get(id) !== p.user) wrong.push(`order ${id} returned to ${p.user} and ${orderUser.get(id)}`);
    orderUser.set(id, p.user);
    if (p.idempotencyKey !== undefined) {
      const k = `${p.user}|${p.idempotencyKey}`;
      if (byKey.has(k) && byKey.get(k) !== id) wrong.push(`key ${k} gave ${id} and ${byKey.get(k)}`);
      byKey.set(k, id);
    }
  }
  t.same(wrong, [], 'no unknown outcome; an order id only for its user; same user + key -> same order');
  t.equal(mismatches, 0, 'the same key from two buyers is two keys: no collision');
  const sharedKeyBuyers = new Set([...byKey.keys()].filter((k) => k.includes('|shared-')).map((k) => k.split('|')[0]));
  t.ok(sharedKeyBuyers.size > 1, `${sharedKeyBuyers.size} buyers each bought with a key others used too`);
  t.equal(orderUser.size, total, 'demand > stock: exactly total distinct orders (no oversell, no undersell)');
  const perUser = new Map<string, number>();
  for (const u of orderUser.values()) perUser.set(u, (perUser.get(u) ?? 0) + 1);
  t.ok([...perUser.values()].every((n) => n <= limit), 'nobody above the limit');

  const k = saleKeys(sale);
  t.equal(await redis.hlen(k.orders), total, 'one order per distinct success');
  const recorded = await Promise.all([...orderUser.keys()].map((id) => engine.getOrder(id)));
  t.same(recorded.map((o) => o?.user), [...orderUser.values()], 'every success recorded for its user');
  const entries = await redis.xrange(k.stream, '-', '+');
  const inStream = entries.flatMap(([, f]) => f.filter((_, i) => i % 2 === 0 && f[i] !== 'b'));
  t.same(new Set(inStream).size, inStream.length, 'no order twice in the stream');
  t.same(new Set(inStream), new Set(orderUser.keys()), 'every success on the stream');
  const status = await engine.status(sale);
  t.match(status, { total, held: total, paid: 0, remaining: 0, open: true });
  const audit = await engine.audit(sale);
  t.ok(audit.ok, `audit ok: ${audit.problems.slice(0, 3).join('; ')}`);
});

t.test('limit 1: the same user gets the same order back, never a second unit', async (t) => {
  const sale = 'one';
  await engine.createSale({ id: sale, total: 10, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  const first = await engine.reserveBatch(sale, newBatchId(), [{ orderId: newOrderId(sale), user: 'ann' }]);
  const again = await engine.reserveBatch(sale, newBatchId(), [
    { orderId: newOrderId(sale), user: 'ann' },
    { orderId: newOrderId(sale), user: 'ann', idempotencyKey: 'x' },
  ]);
  t.equal(first.results[0].outcome, Outcome.Success);
  for (const r of again.results) t.match(r, { outcome: Outcome.Success, orderId: fieldsOf(first.results[0]).orderId, replayed: true });
  t.equal(again.remaining, 9, 'one unit taken in all');
});

t.test('limit 2: a third purchase is refused with LimitReached; anonymous sale has no limit', async (t) => {
  await engine.createSale({ id: 'two', total: 10, perUserLimit: 2, holdSeconds: 300, anonymous: false });
  const r = await engine.reserveBatch('two', newBatchId(), [0, 1, 2].map(() => ({ orderId: newOrderId('two'), user: 'bo' })));
  t.same(r.results.map((x) => x.outcome), [Outcome.Success, Outcome.Success, Outcome.LimitReached]);
  await engine.createSale({ id: 'anon', total: 5, perUserLimit: 1, holdSeconds: 300, anonymous: true });
  const a = await engine.reserveBatch('anon', newBatchId(), Array.from({ length: 7 }, () => ({ orderId: newOrderId('anon'), user: '' })));
  t.same(a.results.map((x) => x.outcome), [1, 1, 1, 1, 1, -1, -1], 'exactly total sold, then sold out (held+paid < total, strictly)');
  t.equal(a.remaining, 0);
  t.ok((await engine.audit('anon')).ok);
});

t.test('not open: before opensAt and after closesAt (Redis clock)', async (t) => {
  const now = Number((await redis.time())[0]) * 1000;
  await engine.createSale({ id: 'later', total: 5, perUserLimit: 1, holdSeconds: 60, anonymous: false, opensAt: now + 3_600_000 });
  await engine.createSale({ id: 'past', total: 5, perUserLimit: 1, holdSeconds: 60, anonymous: false, opensAt: 1, closesAt: 2 });
  for (const sale of ['later', 'past']) {
    const r = await engine.reserveBatch(sale, newBatchId(), [{ orderId: newOrderId(sale), user: 'u' }]);
    t.equal(r.results[0].outcome, Outcome.NotOpen, sale);
    t.equal((await engine.status(sale))?.open, false);
  }
  const u = await engine.reserveBatch('nosuch', newBatchId(), [{ orderId: newOrderId('nosuch'), user: 'u' }]);
  t.equal(u.results[0].outcome, Outcome.UnknownSale);
  t.equal(await engine.status('nosuch'), null);
});

t.test('the same batch id sent twice: the second changes nothing and returns the same results', async (t) => {
  const sale = 'replay';
  await engine.createSale({ id: sale, total: 3, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  const batchId = newBatchId();
  const purchases = ['a', 'b', 'a', 'c', 'd'].map((user, i) => ({ orderId: newOrderId(sale), user, idempotencyKey: `k${i}` }));
  const first = await engine.reserveBatch(sale, batchId, purchases);
  t.same(first.results.map((r) => r.outcome), [1, 1, 1, 1, -1]);
  const before = await snapshot(redis);
  const second = await engine.reserveBatch(sale, batchId, purchases);
  t.same(second, first, 'same reply');
  t.same(await snapshot(redis), before, 'every key byte-identical (DUMP)');
  t.ok((await redis.ttl(batchKey(sale, batchId))) > 0, 'batch record expires');

  // The same purchases in a NEW batch are replays by order id / idempotency key: no second unit.
  const third = await engine.reserveBatch(sale, newBatchId(), purchases);
  t.same(third.results.slice(0, 4).map((r) => [r.outcome, fieldsOf(r).orderId, fieldsOf(r).replayed]), first.results.slice(0, 4).map((r) => [1, fieldsOf(r).orderId, true]));
  t.equal(third.remaining, 0);

  // A batch id reused for other purchases is refused, nothing written.
  const snap = await snapshot(redis);
  await t.rejects(engine.reserveBatch(sale, batchId, [{ orderId: newOrderId(sale), user: 'z' }]), { code: 'ERR_BATCH_ID_CONFLICT' });
  t.same(await snapshot(redis), snap);
  t.ok((await engine.audit(sale)).ok);
});

t.test("a buyer's key names one purchase across sales (claimed by the script itself on standalone Redis)", async (t) => {
  for (const id of ['KS1', 'KS2']) await engine.createSale({ id, total: 5, perUserLimit: 3, holdSeconds: 300, anonymous: true });
  const first = await engine.reserveBatch('KS1', newBatchId(), [{ orderId: newOrderId('KS1'), user: 'kx', idempotencyKey: 'K' }]);
  t.equal(first.results[0].outcome, Outcome.Success);
  const second = await engine.reserveBatch('KS2', newBatchId(), [
    { orderId: newOrderId('KS2'), user: 'kx', idempotencyKey: 'K' },
    { orderId: newOrderId('KS2'), user: 'ky', idempotencyKey: 'K' },
    { orderId: newOrderId('KS2'), user: '', idempotencyKey: 'K' },
    { orderId: newOrderId('KS2'), user: 'kx', requestKey: 'K' },
  ]);
  t.match(second.results, [
    { outcome: Outcome.IdempotencyMismatch, otherSale: 'KS1' },
    { outcome: Outcome.Success },
    { outcome: Outcome.Success },
    { outcome: Outcome.Success },
  ], "kx's K is refused in KS2; ky's K and an anonymous K are their own; a proxy's request key is not claimed");
  t.equal((await engine.status('KS2'))?.held, 3, 'the refused purchase took nothing');
  const again = await engine.reserveBatch('KS1', newBatchId(), [{ orderId: newOrderId('KS1'), user: 'kx', idempotencyKey: 'K' }]);
  t.match(again.results[0], { outcome: Outcome.Success, replayed: true, orderId: fieldsOf(first.results[0]).orderId }, 'in its own sale the key still replays');
  t.ok((await engine.audit('KS2')).ok);
});

t.test("a key refused in one sale (sold out, not open, limit) names nothing: it still buys in another", async (t) => {
  await engine.createSale({ id: 'KF1', total: 1, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  await engine.createSale({ id: 'KF2', total: 5, perUserLimit: 1, holdSeconds: 300, anonymous: false, opensAt: Date.now() + 3_600_000 });
  await engine.createSale({ id: 'KF3', total: 5, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  await engine.reserveBatch('KF1', newBatchId(), [{ orderId: newOrderId('KF1'), user: 'first' }]);
  const refused = await engine.reserveBatch('KF1', newBatchId(), [{ orderId: newOrderId('KF1'), user: 'kz', idempotencyKey: 'KZ' }]);
  t.equal(refused.results[0].outcome, Outcome.SoldOut, 'sold out in KF1');
  t.equal(await redis.exists(buyerKeyClaim('kz', 'KZ')), 0, 'no claim written for a purchase that bought nothing');
  const early = await engine.reserveBatch('KF2', newBatchId(), [{ orderId: newOrderId('KF2'), user: 'kz', idempotencyKey: 'KZ' }]);
  t.equal(early.results[0].outcome, Outcome.NotOpen, 'not open in KF2');
  t.equal(await redis.exists(buyerKeyClaim('kz', 'KZ')), 0, 'nor for one refused as not open');
  const bought = await engine.reserveBatch('KF3', newBatchId(), [{ orderId: newOrderId('KF3'), user: 'kz', idempotencyKey: 'KZ' }]);
  t.match(bought.results[0], { outcome: Outcome.Success, replayed: false }, 'the same key then buys in KF3, not 422');
  t.equal(await redis.get(buyerKeyClaim('kz', 'KZ')), 'KF3', 'and is claimed there');
  // A new key of a user whose order (limit 1) is found by name bought nothing with that key: it names nothing.
  const byName = await engine.reserveBatch('KF3', newBatchId(), [{ orderId: newOrderId('KF3'), user: 'kz', idempotencyKey: 'KN' }]);
  t.match(byName.results[0], { outcome: Outcome.Success, replayed: true, byUser: true }, "kz's order found by name");
  t.equal(await redis.exists(buyerKeyClaim('kz', 'KN')), 0, 'no claim for a key that found the order by name');
  const later = await engine.reserveBatch('KF1', newBatchId(), [{ orderId: newOrderId('KF1'), user: 'kz', idempotencyKey: 'KN' }]);
  t.equal(later.results[0].outcome, Outcome.SoldOut, 'KN is free for another sale: sold out there, not 422');
});

t.test('retention lets go only of a claim that names its own sale', async (t) => {
  await engine.createSale({ id: 'KR1', total: 5, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  const r = await engine.reserveBatch('KR1', newBatchId(), [{ orderId: newOrderId('KR1'), user: 'kr', idempotencyKey: 'KR' }]);
  await engine.cancel(orderIdOf(r.results[0]));
  // The claim moved to another sale meanwhile (its window ran out and the key bought there): not KR1's to drop.
  await redis.set(buyerKeyClaim('kr', 'KR'), 'OTHER');
  await engine.retireOrders('KR1', [orderIdOf(r.results[0])], 0);
  t.equal(await redis.get(buyerKeyClaim('kr', 'KR')), 'OTHER', "the other sale's claim stays");
  const r2 = await engine.reserveBatch('KR1', newBatchId(), [{ orderId: newOrderId('KR1'), user: 'ks', idempotencyKey: 'KS' }]);
  await engine.cancel(orderIdOf(r2.results[0]));
  t.equal(await redis.get(buyerKeyClaim('ks', 'KS')), 'KR1');
  await engine.retireOrders('KR1', [orderIdOf(r2.results[0])], 0);
  t.equal(await redis.exists(buyerKeyClaim('ks', 'KS')), 0, 'its own claim goes with the record');
});

t.test('pay, cancel and expiry: each unit returns exactly once', async (t) => {
  const sale = 'exp';
  const total = 30;
  await engine.createSale({ id: sale, total, perUserLimit: 1, holdSeconds: 1, anonymous: false });
  const r = await engine.reserveBatch(sale, newBatchId(), Array.from({ length: total }, (_, i) => ({ orderId: newOrderId(sale), user: `u${i}` })));
  const ids = r.results.map((x) => orderIdOf(x));
  t.equal(r.remaining, 0);

  const paid = await engine.pay(ids[0]);
  t.equal(paid.status, 'paid');
  t.same(await engine.pay(ids[0]), paid, 'paying twice returns the paid order');
  await t.rejects(engine.cancel(ids[0]), { code: 'ORDER_PAID' });
  const c1 = await engine.cancel(ids[1]);
  t.equal(c1.status, 'cancelled');
  t.same(await engine.cancel(ids[1]), c1, 'cancel is idempotent');
  await t.rejects(engine.pay(ids[1]), { code: 'ORDER_CANCELLED' });
  t.match(await engine.status(sale), { held: total - 2, paid: 1, remaining: 1 }, 'cancel gave one unit back, once');

  await new Promise((res) => setTimeout(res, 1100));
  t.equal((await engine.getOrder(ids[2]))?.status, 'expired', 'an overdue hold reads as expired before the sweep');
  await t.rejects(engine.pay(ids[2]), { code: 'HOLD_EXPIRED' }, 'pay after the deadline is refused');
  t.match(await engine.status(sale), { held: total - 3, remaining: 2 }, '...and that hold was expired on the spot');
  await t.rejects(engine.pay(ids[2]), { code: 'HOLD_EXPIRED' });

  // Two clients sweep at once, 3 per call.
  const other = new SaleEngine(await client());
  const sweep = async (e: SaleEngine) => {
    let n = 0;
    for (let calls = 0; calls < 100; calls++) {
      const x = await e.expireDue(sale, 3);
      n += x.expired;
      if (!x.more) return n;
    }
    t.fail('the sweep never finished: due holds are not removed');
    return n;
  };
  const [a, b] = await Promise.all([sweep(engine), sweep(other)]);
  t.equal(a + b, total - 3, 'every remaining hold expired exactly once across both sweepers');
  t.match(await engine.status(sale), { held: 0, paid: 1, remaining: total - 1 });
  t.same(await engine.expireDue(sale), { expired: 0, remaining: total - 1, more: false });
  t.equal(await redis.zcard(saleKeys(sale).deadlines), 0);
  t.equal(await redis.hlen(saleKeys(sale).holders), 1, 'only the payer still counts against the limit');
  // expired users can buy again
  const again = await engine.reserveBatch(sale, newBatchId(), [{ orderId: newOrderId(sale), user: 'u5' }]);
  t.match(again.results[0], { outcome: Outcome.Success, replayed: false });
  const audit = await engine.audit(sale);
  t.ok(audit.ok, audit.problems.join('; '));
  t.match(audit, { countedPaid: 1, countedHeld: 1, cancelled: 1, expired: total - 2 });
  await t.rejects(engine.pay(`${sale}.nope`), { code: 'ORDER_NOT_FOUND' });
  t.equal(await engine.getOrder(`${sale}.nope`), null);
});

t.test('deadlines per batch: a sweep cut off mid-batch resumes where it stopped; paid/cancelled holds are skipped', async (t) => {
  const sale = 'resume';
  const n = 20;
  await engine.createSale({ id: sale, total: 100, perUserLimit: 1, holdSeconds: 1, anonymous: false });
  const batches = [];
  for (let b = 0; b < 2; b++) {
    batches.push(await engine.reserveBatch(sale, newBatchId(), Array.from({ length: n }, (_, i) => ({ orderId: newOrderId(sale), user: `b${b}u${i}` }))));
  }
  const k = saleKeys(sale);
  t.equal(await redis.zcard(k.deadlines), 2, 'one deadline entry per batch, not per order');
  const ids = batches.flatMap((r) => r.results.map((x) => orderIdOf(x)));
  for (const id of [ids[0], ids[5], ids[21]]) await engine.pay(id);
  for (const id of [ids[1], ids[22]]) await engine.cancel(id);
  t.equal(await redis.zcard(k.deadlines), 2, 'pay and cancel leave the batch entry alone');
  t.ok((await engine.audit(sale)).ok, 'audit closes with live holds covered by batch entries');

  t.same(await engine.expireDue(sale, 5), { expired: 0, remaining: 100 - 2 * n + 2, more: false }, 'nothing due yet');
  await new Promise((res) => setTimeout(res, 1100));
  let expired = 0;
  let sawResumePoint = false;
  for (let call = 0; call < 100; call++) {
    const x = await engine.expireDue(sale, 3);
    t.ok(x.expired <= 3, 'never more than limit per call');
    expired += x.expired;
    const members = await redis.zrange(k.deadlines, 0, -1);
    if (members.some((m) => m.includes('/'))) sawResumePoint = true;
    const audit = await engine.audit(sale);
    t.ok(audit.ok, `audit closes after call ${call}: ${audit.problems.slice(0, 3).join('; ')}`);
    if (!x.more) break;
  }
  t.ok(sawResumePoint, 'a batch was cut off and kept its deadline as a resume point');
  t.equal(expired, 2 * n - 5, 'every still-held order expired exactly once; paid and cancelled ones skipped');
  t.equal(await redis.zcard(k.deadlines), 0, 'every entry gone once swept');
  t.match(await engine.status(sale), { held: 0, paid: 3, remaining: 97 });
  for (const [i, status] of [[0, 'paid'], [1, 'cancelled'], [2, 'expired'], [19, 'expired'], [20, 'expired'], [22, 'cancelled']] as const) {
    t.equal((await engine.getOrder(ids[i]))?.status, status, `order ${i} ${status}`);
  }
  t.match(await engine.audit(sale), { ok: true, countedPaid: 3, cancelled: 2, expired: 2 * n - 5 });
});

t.test('a per-order deadline left by the old layout (existing AOF) is still swept', async (t) => {
  const sale = 'legacy';
  await engine.createSale({ id: sale, total: 5, perUserLimit: 1, holdSeconds: 1, anonymous: false });
  const r = await engine.reserveBatch(sale, newBatchId(), [{ orderId: newOrderId(sale), user: 'old' }]);
  const k = saleKeys(sale);
  const [member, score] = await redis.zrange(k.deadlines, 0, -1, 'WITHSCORES');
  await redis.zrem(k.deadlines, member);
  await redis.zadd(k.deadlines, score, orderIdOf(r.results[0]));
  await new Promise((res) => setTimeout(res, 1100));
  t.same(await engine.expireDue(sale, 10), { expired: 1, remaining: 5, more: false });
  t.equal(await redis.zcard(k.deadlines), 0);
  t.ok((await engine.audit(sale)).ok);
});

t.test('audit reports a held order no deadline covers, a stray deadline and a wrong counter', async (t) => {
  const sale = 'broken';
  await engine.createSale({ id: sale, total: 10, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  const r = await engine.reserveBatch(sale, newBatchId(), [{ orderId: newOrderId(sale), user: 'a' }, { orderId: newOrderId(sale), user: 'b' }]);
  const k = saleKeys(sale);
  t.ok((await engine.audit(sale)).ok);
  const [member] = await redis.zrange(k.deadlines, 0, -1);
  // The entry says the sweep already passed the first order: that hold is no longer covered.
  await redis.zrem(k.deadlines, member);
  await redis.zadd(k.deadlines, 1, `${member}/1`, 2, '0-1');
  await redis.hincrby(k.meta, 'held', 1);
  const audit = await engine.audit(sale);
  t.notOk(audit.ok);
  t.match(audit.problems.join('\n'), `held order ${fieldsOf(r.results[0]).orderId} has no deadline`);
  t.match(audit.problems.join('\n'), 'deadline 0-1 names no unswept order');
  t.match(audit.problems.join('\n'), /is 1 but held order .* expires at/);
  t.match(audit.problems.join('\n'), 'meta held=3 but 2 orders are held');
});

t.test('bad arguments: a clear EngineError and nothing written', async (t) => {
  await engine.createSale({ id: 'ok', total: 5, perUserLimit: 1, holdSeconds: 60, anonymous: false });
  const before = await snapshot(redis);
  const base = { id: 'bad', total: 5, perUserLimit: 1, holdSeconds: 60, anonymous: false };
  const cases: [Record<string, unknown>, string][] = [
    [{ total: 0 }, 'total'], [{ total: -3 }, 'total'], [{ total: 1.5 }, 'total'], [{ total: '5' }, 'total'],
    [{ perUserLimit: 0 }, 'perUserLimit'], [{ holdSeconds: 0 }, 'holdSeconds'], [{ anonymous: 1 }, 'anonymous'],
    [{ opensAt: 100, closesAt: 100 }, 'closesAt'], [{ id: 'a.b' }, 'id'], [{ id: 'x'.repeat(49) }, 'id'], [{ id: '' }, 'id'],
  ];
  for (const [patch, field] of cases) {
    await t.rejects(engine.createSale({ ...base, ...patch }), { name: 'EngineError', code: 'ERR_INVALID_SALE', detail: field }, JSON.stringify(patch));
  }
  // The scripts check too, without the TS guard in front (nothing written, the field named).
  const s = scriptsOf(redis);
  const meta = saleKeys('bad').meta;
  const idKey = newIdKey();
  t.same(await s.createSale(meta, '-1', 1, 60, 0, 0, 0, idKey), [ScriptCode.InvalidSale, 'total']);
  t.same(await s.createSale(meta, '1e3', 1, 60, 0, 0, 0, idKey), [ScriptCode.InvalidSale, 'total']);
  t.same(await s.createSale(meta, 5, 1, 60, 0, 0, 2, idKey), [ScriptCode.InvalidSale, 'anonymous']);

  const sale = 'ok';
  const good = () => ({ orderId: newOrderId(sale), user: 'u' });
  await t.rejects(engine.reserveBatch(sale, newBatchId(), Array.from({ length: BATCH_SIZE.max + 1 }, good)), { code: 'ERR_BATCH_TOO_LARGE' });
  await t.rejects(engine.reserveBatch('bad.id', newBatchId(), [good()]), { code: 'ERR_INVALID_ARGUMENT' });
  await t.rejects(engine.reserveBatch(sale, 'has space', [good()]), { code: 'ERR_INVALID_ARGUMENT', detail: 'batchId' });
  await t.rejects(engine.reserveBatch(sale, newBatchId(), [good(), { orderId: 'other.x', user: 'u' }]), { code: 'ERR_INVALID_ARGUMENT', detail: 'purchases[1].orderId' });
  await t.rejects(engine.reserveBatch(sale, newBatchId(), [{ orderId: newOrderId(sale), user: 'u'.repeat(300) }]), { code: 'ERR_INVALID_ARGUMENT', detail: 'purchases[0].user' });
  await t.rejects(engine.pay('no-dot'), { code: 'ERR_INVALID_ARGUMENT' });
  await t.rejects(engine.expireDue(sale, 0), { code: 'ERR_INVALID_ARGUMENT' });
  // raw script: an oversize batch and a bad order id in the middle are refused before any write
  const k = saleKeys(sale);
  const keys = [k.meta, k.holders, k.orders, k.idem, k.deadlines, k.stream];
  const args = (n: number, bad = -1) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(i === bad ? 'ok.has.dot!' : newOrderId(sale), `u${i}`, '');
    out.push('86400', '0'); // no keys to claim
    return out;
  };
  const b1 = newBatchId();
  t.same(await s.reserveBatch(...keys, batchKey(sale, b1), k.mayHold, k.seats, k.free, k.stretch, k.items, sale, b1, 600, 513, ...args(513)), [ScriptCode.BatchTooLarge, '512']);
  t.same(await s.reserveBatch(...keys, batchKey(sale, b1), k.mayHold, k.seats, k.free, k.stretch, k.items, sale, b1, 600, 3, ...args(3, 2)), [ScriptCode.InvalidArgument, 'purchases[2].orderId']);
  t.same(await s.reserveBatch(...keys, batchKey(sale, b1), k.mayHold, k.seats, k.free, k.stretch, k.items, sale, b1, 600, 3, ...args(2)), [ScriptCode.InvalidArgument, 'argument count']);
  // an empty user on a sale that is not anonymous: refused per purchase, nothing written
  const anon = await engine.reserveBatch(sale, newBatchId(), [{ orderId: newOrderId(sale), user: '' }]);
  t.equal(anon.results[0].outcome, Outcome.AnonymousNotAllowed);
  const err = errorFromCode(Outcome.AnonymousNotAllowed, '', 'sale ok');
  t.ok(err instanceof EngineError);
  t.match(err, { code: 'ERR_ANONYMOUS_NOT_ALLOWED', message: /pass a user/ });
  t.same(await snapshot(redis), before, 'no key changed by any bad call');
});
