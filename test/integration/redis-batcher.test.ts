import t from 'tap';
import type { Redis } from 'ioredis';
import { RedisServer, redisClients, scriptCalls } from '../helpers/redis-server.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { Outcome } from '../../src/redis/codes.js';
import { ReservationBatcher, type ReserveOutcome } from '../../src/sale/batcher.js';
import { saleKeys } from '../../src/redis/keys.js';
import { newOrderId } from '../../src/sale/ids.js';
import { ManualClock } from '../helpers/manual-clock.js';

const server = await RedisServer.start();
t.teardown(() => server.stop());
const connect = redisClients(t, server.url);
async function engineFor(commandTimeoutMs = 1000): Promise<SaleEngine> {
  return new SaleEngine(await connect(commandTimeoutMs));
}
const engine = await engineFor();
const redis = engine.redis as Redis;

async function streamBatches(sale: string): Promise<number[]> {
  const entries = await redis.xrange(saleKeys(sale).stream, '-', '+');
  return entries.map(([, f]) => (f.length - 2) / 2);
}
let saleNo = 0;
async function newSale(total = 100): Promise<string> {
  const id = `b${++saleNo}`;
  await engine.createSale({ id, total, perUserLimit: 5, holdSeconds: 300, anonymous: false });
  return id;
}

t.test('flushes on size: one script call per full batch', async (t) => {
  const sale = await newSale();
  const b = new ReservationBatcher(engine, { maxBatch: 4, windowMs: 1000 });
  const before = await scriptCalls(redis);
  const t0 = performance.now();
  const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => b.reserve(sale, { orderId: newOrderId(sale), user: `u${i}` })));
  t.ok(performance.now() - t0 < 500, 'did not wait for the 1 s window');
  t.ok(rs.every((r) => r.outcome === Outcome.Success));
  t.equal((await scriptCalls(redis)) - before, 2, 'two script calls (EVAL/EVALSHA) for 8 purchases');
  t.same(await streamBatches(sale), [4, 4], 'two batches of four on the stream');
  t.equal(b.pending, 0);
});

t.test('flushes a partial batch when its window ends, not before', async (t) => {
  const sale = await newSale();
  // The window's timer is set on a clock the test moves: "not before" is read while the timer is still pending.
  const clock = new ManualClock();
  const b = new ReservationBatcher(engine, { maxBatch: 100, windowMs: 60, timers: clock });
  const before = await scriptCalls(redis);
  let done = 0;
  const ps = Array.from({ length: 3 }, (_, i) => b.reserve(sale, { orderId: newOrderId(sale), user: `w${i}` }).then((r) => (done++, r)));
  t.equal(b.pending, 3);
  t.same(clock.dueIn, [60], "one timer set: the window's, 60 ms");
  // A round trip on the batcher's own connection lets every immediate and microtask run first; a script sent by
  // any of them went out before scriptCalls' question and would be counted in its answer.
  await redis.ping();
  t.equal((await scriptCalls(redis)) - before, 0, 'nothing sent before the window ends');
  t.equal(done, 0, 'nothing answered');
  clock.advance(60);
  t.equal(clock.pending, 1, 'at the window: the batch is on the wire, its deadline timer set');
  const rs = await Promise.all(ps);
  t.ok(rs.every((r) => r.outcome === Outcome.Success));
  t.equal((await scriptCalls(redis)) - before, 1, 'one script call');
  t.same(await streamBatches(sale), [3], 'one batch of three');
  t.equal(b.pending, 0);
  t.equal(clock.pending, 0, 'the reply cleared the deadline timer');
});

t.test('group commit: purchases that arrive while a batch is on the wire leave together when it returns', async (t) => {
  const sale = await newSale();
  const tick = () => new Promise((res) => setImmediate(res));
  const run = async (maxInFlight: number) => {
    const b = new ReservationBatcher(engine, { maxBatch: 100, windowMs: 0, maxInFlight });
    const before = (await streamBatches(sale)).length;
    process.kill(server.pid!, 'SIGSTOP'); // hold the first batch on the wire
    const ps = [b.reserve(sale, { orderId: newOrderId(sale), user: `g${maxInFlight}-first` })];
    await tick();
    for (let i = 0; i < 6; i++) {
      ps.push(b.reserve(sale, { orderId: newOrderId(sale), user: `g${maxInFlight}-${i}` }));
      await tick(); // each in its own event-loop turn: without group commit, each would be its own batch
    }
    process.kill(server.pid!, 'SIGCONT');
    const rs = await Promise.all(ps);
    t.ok(rs.every((r) => r.outcome === Outcome.Success), `maxInFlight ${maxInFlight}: all sold`);
    return (await streamBatches(sale)).slice(before);
  };
  t.same(await run(1), [1, 6], 'maxInFlight 1: the six waiting purchases left as one batch');
  t.same((await run(64)).length, 7, 'maxInFlight 64: each turn sent its own batch (the comparison)');
});

t.test('drain flushes queued purchases and waits for them; a bad purchase fails alone', async (t) => {
  const sale = await newSale();
  const b = new ReservationBatcher(engine, { maxBatch: 100, windowMs: 1000 });
  const ps = Array.from({ length: 5 }, (_, i) => b.reserve(sale, { orderId: newOrderId(sale), user: `d${i}` }));
  await t.rejects(b.reserve(sale, { orderId: 'wrong.sale', user: 'x' }), { code: 'ERR_INVALID_ARGUMENT' });
  await t.rejects(b.reserve('bad sale', { orderId: newOrderId(sale), user: 'x' }), { code: 'ERR_INVALID_ARGUMENT' });
  const t0 = performance.now();
  await b.drain();
  t.ok(performance.now() - t0 < 500, 'drain did not wait for the window');
  t.equal(b.pending, 0);
  t.ok((await Promise.all(ps)).every((r) => r.outcome === Outcome.Success));
  t.throws(() => new ReservationBatcher(engine, { maxBatch: 0 }), /options\.maxBatch/);
  t.throws(() => new ReservationBatcher(engine, { windowMs: -1 }), /options\.windowMs/);
});

async function whilePaused<T>(fn: () => Promise<T>): Promise<T> {
  const pid = server.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    return await fn();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

t.test('Redis paused past the deadline -> every purchase "unknown", never success; resolved later by order id', async (t) => {
  const sale = await newSale();
  const slow = await engineFor(5000); // the command timeout is longer than the batcher's deadline
  const b = new ReservationBatcher(slow, { maxBatch: 10, windowMs: 1, deadlineMs: 300 });
  const ids = Array.from({ length: 5 }, () => newOrderId(sale));
  const t0 = performance.now();
  const rs: ReserveOutcome[] = await whilePaused(() => Promise.all(ids.map((orderId, i) => b.reserve(sale, { orderId, user: `p${i}` }))));
  const took = performance.now() - t0;
  t.ok(took >= 290 && took < 1200, `answered at the deadline (${Math.round(took)} ms)`);
  t.same(rs.map((r) => r.outcome), ['unknown', 'unknown', 'unknown', 'unknown', 'unknown'], 'no success without a reply');
  t.match(rs[0], { orderId: ids[0], reason: /no Redis reply within 300 ms/ });
  t.equal(b.pending, 0);
  await b.drain();
  // The script sat in the socket and ran after SIGCONT: the truth is found by order id.
  const orders = await Promise.all(ids.map((id) => engine.getOrder(id)));
  t.ok(orders.every((o) => o?.status === 'held'), 'the purchases were in fact recorded later');
});

t.test('command timeout before the deadline -> "unknown" with the Redis error as reason', async (t) => {
  const sale = await newSale();
  const fast = await engineFor(150);
  const b = new ReservationBatcher(fast, { maxBatch: 10, windowMs: 1, deadlineMs: 5000 });
  const r = await whilePaused(() => b.reserve(sale, { orderId: newOrderId(sale), user: 'q' }));
  t.match(r, { outcome: 'unknown', reason: /timed out/i });
});

t.test('reserveTo: a callback that throws does not keep the rest of its batch from their outcomes', async (t) => {
  const sale = await newSale();
  const b = new ReservationBatcher(engine, { maxBatch: 3, windowMs: 1000 });
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  // The rethrow is queued as a microtask: it lands here as an uncaught exception (a thread would end on it).
  process.prependListener('uncaughtException', onUncaught);
  t.teardown(() => process.off('uncaughtException', onUncaught));
  const got: ReserveOutcome[] = [];
  const all = new Promise<void>((resolve) => {
    b.reserveTo(sale, { orderId: newOrderId(sale), user: 'r1' }, (o) => got.push(o));
    b.reserveTo(sale, { orderId: newOrderId(sale), user: 'r2' }, () => {
      throw new Error('a bug in one purchase callback');
    });
    b.reserveTo(sale, { orderId: newOrderId(sale), user: 'r3' }, (o) => {
      got.push(o);
      resolve();
    });
  });
  await all;
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(got.length, 2, 'the purchases before and after the throwing one got their outcomes');
  t.ok(got.every((o) => o.outcome === Outcome.Success));
  t.match(String(uncaught[0]), /a bug in one purchase callback/, 'the throw is not swallowed: rethrown on its own');
  t.throws(() => b.reserveTo('bad sale id', { orderId: 'x', user: 'u' }, () => t.fail('never called')), 'a malformed purchase throws, its callback is never called');
  t.equal(b.pending, 0);
});
