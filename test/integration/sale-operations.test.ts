// Operating a sale (issue 13) on two real nodes sharing one Redis: pause answers -3 on every node from shared
// memory (no Redis call), and Redis refuses too; resume sells again; add-stock after a sell-out sells exactly the
// seats added, never "sold out" while seats are left; close ends it (holds are still paid, the registry place gets
// closesAt + grace); the audit closes after every step. The admin API's 401/404/400/409/415 and the CLI verbs.
import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { connectRedisReady } from '../../src/redis/connection.js';
import { Outcome } from '../../src/redis/codes.js';
import { REGISTRY, saleKeys } from '../../src/redis/keys.js';
import { scriptsOf } from '../../src/redis/scripts.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { REGISTRY_GRACE_MS } from '../../src/sale/places.js';
import { NodeProcess, http, keepAliveAgent, pool, type HttpAnswer } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';

const TOKEN = 'ops-admin-token-16';
const RECONCILE_MS = 100;
/** A few reconcile periods: every node has read the change (one period) even on this shared 2-core box. */
const PROPAGATED_MS = 4 * RECONCILE_MS;

type SaleData = { id: string; total: number; held: number; paid: number; remaining: number; state: string; paused: boolean; changed?: boolean; closesAt: string | null };

t.test('sale operations on two nodes', async (t) => {
  const server = await RedisServer.start();
  t.teardown(() => server.stop());
  const env = { ADMIN_TOKEN: TOKEN };
  const args = ['--reconcile-ms', String(RECONCILE_MS), '--refresh-ms', '0'];
  const [a, b] = await Promise.all([
    NodeProcess.start({ redisUrl: server.url, threads: 2, env, args }),
    NodeProcess.start({ redisUrl: server.url, threads: 1, env, args }),
  ]);
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const redis = (await connectRedisReady(server.url)) as Redis;
  t.teardown(() => redis.disconnect());
  const engine = new SaleEngine(redis);
  const agent = keepAliveAgent(8);
  t.teardown(() => agent.destroy());
  const nodes = [a, b];
  const admin = { authorization: `Bearer ${TOKEN}` };
  const op = (node: NodeProcess, path: string, body?: unknown, headers: Record<string, string> = admin) =>
    http(agent, 'POST', `${node.url}/admin/sales/${path}`, body === undefined ? undefined : JSON.stringify(body), body === undefined ? headers : { 'content-type': 'application/json', ...headers });
  const buy = (node: NodeProcess, sale: string, user: string) => http(agent, 'GET', `${node.url}/buy/ticket?sale=${sale}&user=${user}`);
  const data = (r: HttpAnswer) => r.json?.data as SaleData;
  const orderOf = (r: HttpAnswer) => (r.json?.data as { orderId: string }).orderId;
  const audited = async (t: Test, sale: string, total: number) => {
    const report = await engine.audit(sale);
    t.ok(report.ok && report.closes, `audit closes: remaining ${report.remaining} + held ${report.countedHeld} + paid ${report.countedPaid} == total ${report.total} ${JSON.stringify(report.problems)}`);
    t.equal(report.total, total, `  with the total ${total}`);
  };
  let user = 0;
  const next = () => `u${++user}`;
  /**
   * A burst of purchases on both nodes (a holder of the sale among them) is answered -3, and none reached Redis:
   * every command Redis runs goes to the slow log meanwhile, and a purchase that reached Redis would be an
   * EVALSHA naming the sale's batch key (KEYS[7] of reserve-batch), which nothing else names.
   */
  const notOpenFromMemory = async (t: Test, sale: string, reconciled = true) => {
    await redis.config('SET', 'slowlog-log-slower-than', '0');
    await redis.config('SET', 'slowlog-max-len', '100000');
    await redis.slowlog('RESET');
    const burst = await pool(8, Array.from({ length: 60 }, (_, i) => () => buy(nodes[i % 2], sale, i % 3 === 0 ? 'early' : next())));
    const log = (await redis.slowlog('GET', -1)) as Array<[number, number, number, string[]]>;
    await redis.config('SET', 'slowlog-log-slower-than', '10000');
    t.ok(burst.every((x) => x.status === 200 && x.json?.code === -3), `60 purchases on both nodes (a holder among them): -3 ${JSON.stringify(burst.map((x) => x.json?.code))}`);
    // (A closed sale's slot is retired RETIRE_AFTER_MS after closesAt; then nothing reads it any more.)
    if (reconciled) t.ok(log.some((entry) => entry[3].includes(`{sale:${sale}}:meta`)), 'the slow log saw the reconcilers read the sale meanwhile');
    const reserves = log.filter((entry) => entry[3].some((arg) => arg.startsWith(`{sale:${sale}}:batch:`)));
    t.equal(reserves.length, 0, 'and not one of them reached Redis');
  };

  t.equal((await http(agent, 'POST', `${a.url}/admin/sales`, JSON.stringify({ id: 'OPS', total: 3, perUserLimit: 1 }), { 'content-type': 'application/json', ...admin })).status, 201);
  const opensAt = new Date(Date.now() + 3_600_000).toISOString();
  t.equal((await http(agent, 'POST', `${b.url}/admin/sales`, JSON.stringify({ id: 'LATER', total: 2, opensAt }), { 'content-type': 'application/json', ...admin })).status, 201);
  const early = await buy(a, 'OPS', 'early');
  t.equal(early.json?.code, 1, `a hold made before the operations: ${early.body}`);

  await t.test('every admin route: 401 without the token or with a wrong one, before anything else', async (t) => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: TOKEN }]) {
      const answers = [
        await http(agent, 'GET', `${a.url}/admin/sales`, undefined, headers),
        await op(b, 'OPS/pause', undefined, headers),
        await op(a, 'OPS/resume', undefined, headers),
        await op(b, 'OPS/close', undefined, headers),
        await op(a, 'OPS/stock', { add: 1 }, headers),
        await op(a, 'NOPE/pause', undefined, headers),
      ];
      for (const r of answers) {
        t.equal(r.status, 401, r.body);
        t.equal(r.json?.error, 'UNAUTHORIZED');
        t.equal(r.headers['www-authenticate'], 'Bearer');
      }
    }
    t.match(await engine.status('OPS'), { state: 'open', total: 3 }, 'nothing changed: the sale is open, its total 3');
  });

  await t.test('404 for an unknown sale, 400 and 415 for bad input', async (t) => {
    for (const path of ['NOPE/pause', 'NOPE/resume', 'NOPE/close']) {
      const r = await op(a, path);
      t.equal(r.status, 404, `${path}: ${r.body}`);
      t.equal(r.json?.error, 'UNKNOWN_SALE');
    }
    t.equal((await op(b, 'NOPE/stock', { add: 1 })).status, 404);
    t.equal((await op(a, 'bad.id/pause')).json?.error, 'BAD_SALE');
    const noJson = await http(agent, 'POST', `${a.url}/admin/sales/OPS/stock`, '{"add":1}', admin);
    t.equal(noJson.status, 415, 'stock without a JSON content type');
    const bad: Array<[unknown, RegExp]> = [
      [{ add: 0 }, /add is 0/],
      [{ add: 1.5 }, /add expected a whole number from -100000000 to 100000000, got 1.5/],
      [{ add: '3' }, /got "3"/],
      [{ add: 100_000_001 }, /from -100000000 to 100000000/],
      [{}, /got nothing/],
      [{ add: 1, extra: true }, /extra: unknown field/],
    ];
    for (const [body, msg] of bad) {
      const r = await op(b, 'OPS/stock', body);
      t.equal(r.status, 400, `${JSON.stringify(body)}: ${r.body}`);
      t.match(r.json?.msg, msg);
    }
    t.equal((await op(a, 'OPS/stock', 'not json')).json?.error, 'BAD_JSON');
    const over = await op(a, 'OPS/stock', { add: 100_000_000 });
    t.equal(over.status, 400, 'a total above 100000000');
    t.match(over.json?.msg, /more than 100000000/);
    t.equal((await http(agent, 'GET', `${a.url}/admin/sales?limit=0`, undefined, admin)).json?.error, 'BAD_QUERY');
    // The scripts hold the same rules themselves (the engine checks first, so only a direct call reaches them).
    const scripts = scriptsOf(redis);
    const meta = saleKeys('OPS').meta;
    for (const bad of ['0', '-0', '100000001', '-100000001', '1.5', '', '+1', '--1', ' 1']) {
      t.same(await scripts.addStock(meta, bad), [-11, 'add'], `add-stock refuses ${JSON.stringify(bad)} before writing`);
    }
    t.same(await scripts.pauseSale(meta, 'yes'), [-11, 'paused']);
    t.equal((await engine.status('OPS'))?.total, 3, 'the total is unchanged');
  });

  await t.test('the list: every sale with its counters and state', async (t) => {
    const r = await http(agent, 'GET', `${b.url}/admin/sales`, undefined, admin);
    t.equal(r.status, 200, r.body);
    const listed = r.json?.data as { sales: SaleData[]; next: string | null };
    t.same(listed.sales.map((s) => [s.id, s.state]), [['LATER', 'scheduled'], ['OPS', 'open']]);
    t.match(listed.sales[1], { total: 3, held: 1, paid: 0, remaining: 2, perUserLimit: 1 });
    t.equal(listed.next, null);
    const paged = await http(agent, 'GET', `${a.url}/admin/sales?limit=1`, undefined, admin);
    t.same((paged.json?.data as { sales: SaleData[]; next: string }).next, 'LATER', 'a page of one says where the next begins');
    const second = await http(agent, 'GET', `${a.url}/admin/sales?limit=1&after=LATER`, undefined, admin);
    t.same((second.json?.data as { sales: SaleData[] }).sales.map((s) => s.id), ['OPS']);
  });

  await t.test('pause: -3 on every node from shared memory, no Redis call; Redis refuses too', async (t) => {
    const r = await op(b, 'OPS/pause');
    t.equal(r.status, 200, r.body);
    t.match(data(r), { state: 'paused', paused: true, changed: true });
    const again = await op(a, 'OPS/pause');
    t.equal(again.status, 200, 'pausing a paused sale is fine');
    t.equal(again.json?.msg, 'already paused');
    t.equal(data(again).changed, false);
    await sleep(PROPAGATED_MS);
    await notOpenFromMemory(t, 'OPS');
    const direct = await engine.reserveBatch('OPS', newBatchId(), [{ orderId: newOrderId('OPS'), user: 'direct' }]);
    t.equal(direct.results[0].outcome, Outcome.NotOpen, 'Redis itself answers not open while paused');
    t.match(data(await http(agent, 'GET', `${a.url}/sales/OPS`)), { state: 'paused', open: false });
    await audited(t, 'OPS', 3);
  });

  await t.test('resume: sold on every node again; sold out when it is', async (t) => {
    const r = await op(a, 'OPS/resume');
    t.equal(r.status, 200, r.body);
    t.match(data(r), { state: 'open', paused: false, changed: true });
    t.equal((await op(b, 'OPS/resume')).json?.msg, 'already running');
    await sleep(PROPAGATED_MS);
    for (const node of nodes) t.equal((await buy(node, 'OPS', next())).json?.code, 1, `${node.port} sells again`);
    for (const node of nodes) t.equal((await buy(node, 'OPS', next())).json?.code, -1, `${node.port}: sold out (its sold-out flag now set)`);
    await audited(t, 'OPS', 3);
  });

  await t.test('add-stock after a sell-out: exactly the seats added are sold, never -1 before', async (t) => {
    const r = await op(b, 'OPS/stock', { add: 2 });
    t.equal(r.status, 200, r.body);
    t.match(data(r), { total: 5, remaining: 2, changed: true });
    await sleep(PROPAGATED_MS);
    const answers: HttpAnswer[] = [];
    for (const node of [a, b, a, b, a]) answers.push(await buy(node, 'OPS', next()));
    t.same(answers.map((x) => x.json?.code), [1, 1, -1, -1, -1], 'two successes (on both nodes), then sold out');
    await audited(t, 'OPS', 5);
    const floor = await op(a, 'OPS/stock', { add: -1 });
    t.equal(floor.status, 409, floor.body);
    t.equal(floor.json?.error, 'STOCK_FLOOR');
    t.match(floor.json?.msg, /cannot go below 5 \(the seats held or paid/);
    t.match(floor.json?.data, { floor: 5 });
    const cancelled = await http(agent, 'POST', `${b.url}/orders/${orderOf(answers[1])}/cancel`);
    t.equal(cancelled.status, 200, `a hold cancelled frees a seat: ${cancelled.body}`);
    const removed = await op(b, 'OPS/stock', { add: -1 });
    t.equal(removed.status, 200, removed.body);
    t.match(data(removed), { total: 4, remaining: 0 });
    await audited(t, 'OPS', 4);
  });

  await t.test('close: -3 everywhere, holds still paid, the registry place frees after the grace', async (t) => {
    t.equal(await redis.zscore(REGISTRY.places, 'OPS'), 'inf', 'a sale without closesAt holds its place for good');
    const r = await op(a, 'OPS/close');
    t.equal(r.status, 200, r.body);
    t.match(data(r), { state: 'closed', changed: true });
    const closesAt = Date.parse(data(r).closesAt!);
    t.ok(Math.abs(closesAt - Date.now()) < 2000, 'closesAt is now');
    t.equal(Number(await redis.zscore(REGISTRY.places, 'OPS')), closesAt + REGISTRY_GRACE_MS, 'place released at closesAt + grace');
    const again = await op(b, 'OPS/close');
    t.equal(again.status, 200, 'closing a closed sale: 200, no change');
    t.match(data(again), { changed: false });
    t.equal(again.json?.msg, 'already closed');
    await sleep(PROPAGATED_MS);
    await notOpenFromMemory(t, 'OPS', false);
    const paid = await http(agent, 'POST', `${b.url}/orders/${orderOf(early)}/pay`);
    t.equal(paid.status, 200, `the hold made before the close is paid: ${paid.body}`);
    for (const path of ['OPS/pause', 'OPS/resume']) {
      const refused = await op(a, path);
      t.equal(refused.status, 409, `${path} on a closed sale`);
      t.equal(refused.json?.error, 'SALE_CLOSED');
      t.match(refused.json?.msg, /the sale is closed/);
    }
    t.equal((await op(b, 'OPS/stock', { add: 1 })).json?.error, 'SALE_CLOSED');
    await audited(t, 'OPS', 4);
  });

  await t.test('the CLI: list, pause, resume, close, add-stock; --json; exit 0 / 1 / 2', async (t) => {
    const cli = (...words: string[]) => runCli(['sale', ...words, '--redis', server.url]);
    await engine.createSale({ id: 'MORE', total: 1, perUserLimit: 1, holdSeconds: 60, anonymous: false });
    const [list, listJson, zero, negative, unknown, pauseClosed, closeClosed] = await Promise.all([
      cli('list'),
      cli('list', '--json'),
      cli('add-stock', '--sale', 'MORE', '--add', '0'),
      cli('add-stock', '--sale', 'MORE', '--add', '-1'),
      cli('pause', 'NOPE'),
      cli('pause', 'OPS'),
      cli('close', 'OPS'),
    ]);
    t.equal(list.code, 0, list.stderr);
    t.match(list.stdout, /^LATER\s+scheduled\s+2\s+0\s+0\s+2 /m);
    t.match(list.stdout, /^OPS\s+closed\s+4\s+3\s+1\s+0 /m);
    t.same((JSON.parse(listJson.stdout) as { sales: SaleData[] }).sales.map((s) => [s.id, s.state]), [['LATER', 'scheduled'], ['MORE', 'open'], ['OPS', 'closed']]);
    t.equal(zero.code, 2, `--add 0: ${zero.stderr}`);
    t.equal(negative.code, 2, 'a negative N must be written --add=-N');
    t.match(negative.stderr, /--add=-XYZ/);
    t.equal(unknown.code, 1);
    t.match(unknown.stderr, /^UNKNOWN_SALE: sale NOPE: no such sale/);
    t.equal(pauseClosed.code, 1, 'pausing a closed sale: refused');
    t.match(pauseClosed.stderr, /^SALE_CLOSED: /);
    t.equal(closeClosed.code, 0, 'closing a closed sale: exit 0');
    t.match(closeClosed.stdout, /^sale OPS: already closed \(at .*\), unchanged$/m);
    // Two chains side by side: pause / resume / close on LATER, stock on MORE.
    const chainLater = async () => {
      const paused = await cli('pause', '--sale', 'LATER', '--json');
      t.equal(paused.code, 0, paused.stderr);
      t.match(JSON.parse(paused.stdout), { ok: true, changed: true, sale: { id: 'LATER', state: 'paused', paused: true } });
      t.match((await cli('resume', 'LATER')).stdout, /^sale LATER: resumed$/m);
      const closed = await cli('close', 'LATER', '--json');
      t.equal(closed.code, 0, closed.stderr);
      t.match(JSON.parse(closed.stdout), { changed: true, sale: { state: 'closed', total: 2 } });
    };
    const chainMore = async () => {
      const added = await cli('add-stock', '--sale', 'MORE', '--add', '3');
      t.match(added.stdout, /^sale MORE: total 4 \(\+3\), remaining 4$/m);
      const floor = await cli('add-stock', '--sale', 'MORE', '--add=-4', '--json');
      t.equal(floor.code, 1, 'below the floor (at least 1): refused');
      t.match(JSON.parse(floor.stdout), { ok: false, error: 'STOCK_FLOOR' });
    };
    await Promise.all([chainLater(), chainMore()]);
    await audited(t, 'MORE', 4);
    await audited(t, 'LATER', 2);
  });
});
