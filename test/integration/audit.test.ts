// The chunked audit (src/sale/audit.ts, lua/audit-*.lua) against a real Redis: many short pages give the same
// exact figures as one look at everything, purchases going on never make it report a problem, every kind of
// real discrepancy is reported (exit 1), and `ticket-spike audit` speaks JSON, shows progress and fails
// clearly on an unknown sale or an unreachable Redis.
import t from 'tap';
import type { Redis } from 'ioredis';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { Outcome } from '../../src/redis/codes.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import type { AuditReport } from '../../src/sale/types.js';
import { freePort } from '../helpers/free-port.js';
import { RedisServer } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';
import { orderIdOf, fieldsOf } from '../helpers/purchase-results.js';

const server = await RedisServer.start({ args: ['--appendfsync', 'no'] });
t.teardown(() => server.stop());
const redis = (await connectRedisReady(server.url, { commandTimeoutMs: 15_000 })) as Redis;
t.teardown(() => redis.disconnect());
const engine = new SaleEngine(redis);

/** A sale with `orders` orders in batches of 100: users u0.. (two orders each for even users), every third
 *  with an Idempotency-Key; some paid, some cancelled. Returns the order ids with their users. */
async function fill(sale: string, orders: number, holdSeconds = 300): Promise<{ id: string; user: string }[]> {
  await engine.createSale({ id: sale, total: orders + 50, perUserLimit: 2, holdSeconds, anonymous: false });
  const made: { id: string; user: string }[] = [];
  for (let from = 0; from < orders; from += 100) {
    const ps = Array.from({ length: Math.min(100, orders - from) }, (_, j) => {
      const i = from + j;
      const user = `u${i % 2 === 0 ? i >> 1 : i}`;
      return { orderId: newOrderId(sale), user, ...(i % 3 === 0 ? { idempotencyKey: `${sale}-k-${i}` } : {}) };
    });
    const r = await engine.reserveBatch(sale, newBatchId(), ps);
    r.results.forEach((x, j) => {
      if (x.outcome !== Outcome.Success) throw new Error(`fill: purchase ${from + j} got ${x.outcome}`);
      made.push({ id: orderIdOf(x), user: ps[j].user });
    });
  }
  for (let i = 0; i < made.length; i += 7) await engine.pay(made[i].id);
  for (let i = 3; i < made.length; i += 11) await engine.cancel(made[i].id).catch(() => undefined);
  return made;
}

const ORDERS = 4000;
await fill('BIG', ORDERS);

t.test('many small pages give the exact figures of a quiet sale, each order counted once', async (t) => {
  const status = (await engine.status('BIG'))!;
  const small = await engine.audit('BIG', { pageSize: 7 });
  t.ok(small.ok, `ok: ${small.problems.slice(0, 3).join('; ')}`);
  t.match(small, { moving: false, closes: true, orders: ORDERS, streamOrders: ORDERS, countedHeld: status.held, countedPaid: status.paid });
  t.equal(small.countedHeld + small.countedPaid + small.cancelled + small.expired, ORDERS, 'every order counted exactly once');
  t.ok(small.calls > ORDERS / 7, `${small.calls} script calls: many pages`);
  const large = await engine.audit('BIG', { pageSize: 10_000 });
  const figures = (r: AuditReport) => [r.countedHeld, r.countedPaid, r.cancelled, r.expired, r.orders, r.streamEntries, r.holders];
  t.same(figures(small), figures(large), 'page size changes nothing but the number of calls');
});

t.test('a long audit has no overall time limit: only each short page has one', async (t) => {
  const client = (await connectRedisReady(server.url, { commandTimeoutMs: 200 })) as Redis;
  t.teardown(() => client.disconnect());
  await redis.config('SET', 'slowlog-log-slower-than', '0');
  await redis.config('SET', 'slowlog-max-len', '100000');
  await redis.slowlog('RESET');
  const t0 = performance.now();
  const seen: string[] = [];
  const r = await new SaleEngine(client).audit('BIG', { pageSize: 1, onProgress: (p) => seen.push(p.pass) });
  const ms = performance.now() - t0;
  const log = (await redis.slowlog('GET', -1)) as [number, number, number, string[]][];
  await redis.config('SET', 'slowlog-log-slower-than', '10000');
  t.ok(r.ok, r.problems.join('; '));
  t.ok(ms > 400, `the audit took ${Math.round(ms)} ms, well past the 200 ms per-call timeout`);
  const scripts = log.filter((e) => /^eval/i.test(e[3][0])).map((e) => e[2]);
  const sum = scripts.reduce((a, b) => a + b, 0);
  t.ok(scripts.length > 1000 && Math.max(...scripts) * 5 < sum, `${scripts.length} script calls, the longest ${Math.max(...scripts)} µs of ${sum} µs in all`);
  t.same([...new Set(seen)], ['stream', 'orders', 'holders', 'idempotency', 'deadlines'], 'progress from every pass');
});

t.test('purchases, payments, cancels and sweeps going on never make a problem', async (t) => {
  const sale = 'LIVE';
  await fill(sale, 300, 1);
  let running = true;
  let user = 0;
  const churn = (async () => {
    while (running) {
      const ps = Array.from({ length: 20 }, () => ({ orderId: newOrderId(sale), user: `live${user++ % 2000}` }));
      const r = await engine.reserveBatch(sale, newBatchId(), ps);
      const ids = r.results.filter((x) => x.outcome === Outcome.Success && !fieldsOf(x).replayed).map((x) => orderIdOf(x));
      if (ids[0] !== undefined) await engine.pay(ids[0]).catch(() => undefined);
      if (ids[1] !== undefined) await engine.cancel(ids[1]).catch(() => undefined);
      await engine.expireDue(sale, 50);
      if (r.remaining === 0) await redis.hincrby(saleKeys(sale).meta, 'total', 500); // keep it selling
    }
  })();
  const reports: AuditReport[] = [];
  try {
    for (let i = 0; i < 3; i++) reports.push(await engine.audit(sale, { pageSize: 13 }));
  } finally {
    running = false;
    await churn;
  }
  for (const r of reports) t.ok(r.ok, `ok while moving=${r.moving}: ${r.problems.slice(0, 3).join('; ')}`);
  t.ok(reports.filter((r) => r.moving).length >= 3, `the sale did move during ${reports.filter((r) => r.moving).length} of the audits`);
  const quiet = await engine.audit(sale, { pageSize: 13 });
  t.ok(quiet.ok && !quiet.moving, `quiet again: exact and ok ${quiet.problems.join('; ')}`);
});

t.test('each kind of real discrepancy is reported', async (t) => {
  const cases: [string, (made: { id: string; user: string }[], k: ReturnType<typeof saleKeys>) => Promise<unknown>, RegExp][] = [
    ['counter off', (_, k) => redis.hincrby(k.meta, 'paid', 1), /^meta paid=\d+ but \d+ orders are paid$/],
    ['order missing from the stream', (_, k) => redis.hset(k.orders, 'D2.stray', 'cancelled|0|0|0|1|z'), /^order D2\.stray appears 0 times in the stream$/],
    ['holder count wrong', async (m, k) => redis.hset(k.holders, m[1].user, `5|${m[1].id}`), /^holder u1 counted 5 but has 2 live orders$/],
    ['idempotency record names the wrong order', (m, k) => redis.hset(k.idem, 'u0 D4-k-0', `${m[1].id}|u0`), /^idempotency key u0 D4-k-0 does not match order /],
    ['corrupt order record', (m, k) => redis.hset(k.orders, m[5].id, 'garbage'), /^order D5\.\S+ cannot be read: garbage$/],
  ];
  for (const [i, [what, breakIt, expected]] of cases.entries()) {
    const sale = `D${i + 1}`;
    const made = await fill(sale, 120);
    const clean = await engine.audit(sale, { pageSize: 9 });
    t.ok(clean.ok, `${what}: clean before`);
    await breakIt(made, saleKeys(sale));
    const r = await engine.audit(sale, { pageSize: 9 });
    t.notOk(r.ok, `${what}: not ok`);
    t.ok(r.problems.some((p) => expected.test(p)), `${what}: ${r.problems.join('; ')}`);
  }
});

t.test('ticket-spike audit: exit 0 / 1, --json only JSON on stdout, progress on stderr', async (t) => {
  const url = ['--redis', server.url];
  const ok = await runCli(['audit', '--sale', 'BIG', '--page-size', '3', '--progress', '1', ...url]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^audit of sale BIG: ok \(remaining \d+ \+ held \d+ \+ paid \d+ = total 4050, counted from the orders\)/);
  t.match(ok.stderr, /audit of sale BIG: audited \d+\/4000 orders/, 'progress lines');
  const json = await runCli(['audit', '--sale', 'D1', '--json', '--progress', '0', ...url]);
  t.equal(json.code, 1, 'a real discrepancy: exit 1');
  const report = JSON.parse(json.stdout) as AuditReport;
  t.match(report, { ok: false, sale: 'D1', moving: false });
  t.equal(json.stderr, '', 'no prose');
  const human = await runCli(['audit', '--sale', 'D1', ...url]);
  t.equal(human.code, 1);
  t.match(human.stdout, /accounting does NOT close .*\n.*\n  - meta paid=/);
});

t.test('ticket-spike audit: unknown sale and unreachable Redis are one clear line, exit 3', async (t) => {
  const unknown = await runCli(['audit', '--sale', 'NOPE', '--redis', server.url]);
  t.equal(unknown.code, 3);
  t.equal(unknown.stderr, `ticket-spike audit: no sale NOPE in Redis at ${server.url}; see ticket-spike sale status\n`);
  const gone = await runCli(['audit', '--sale', 'BIG', '--redis', `redis://127.0.0.1:${await freePort()}`]);
  t.equal(gone.code, 3);
  t.match(gone.stderr, /^ticket-spike audit: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(.*\); start it, or pass --redis URL\n$/);
  t.notMatch(gone.stderr + unknown.stderr, /\n\s+at /, 'no stack trace');
  const bad = await runCli(['audit', '--sale', 'BIG', '--page-size', '0']);
  t.equal(bad.code, 2, 'bad flags: exit 2');
});
