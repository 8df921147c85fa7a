// The production-style run end to end: `ticket-spike up` (real Redis, 4 real nodes, real nginx) — the
// article's 1:2:3:4 weighted split and its `ab -n 10000 -c 100 .../buy/ticket` run through nginx, on a plain
// `up` with every default (nginx's per-address limits on, this machine exempt from them), as `npm start` runs it.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { childrenOf } from '../../src/launcher/children.js';
import { childEnv } from '../helpers/env.js';
import { hammer, UpProcess } from '../helpers/up-process.js';

/** The lock every load run on this machine takes (.ci/run's bench too). */
const LOAD_LOCK = '/tmp/ts-load.lock';

/** The demo sale's default size: the article's 10,000 tickets, as many as ab's requests. */
const STOCK = 10_000;

t.test('up with its defaults: weighted 1:2:3:4 split and the article ab run', async (t) => {
  // No rate flag: ab's 10,000 anonymous purchases come from 127.0.0.1, one address, which nginx exempts.
  const up = await UpProcess.start();
  t.teardown(() => up.killAll());
  const state = up.state();
  t.equal(state.status, 'running');
  t.match(up.stdout, /Demo sale "demo" created/, 'says it created the demo sale');
  t.match(up.stdout, /Admin token \(generated/, 'prints a generated admin token');
  t.match(up.stdout, /\/buy\/ticket 50 r\/s \+ burst 100;[^\n]*\n\s+exempt from them \(--ip-rate-exempt\): 127\.0\.0\.0\/8, ::1\n/, 'the limits are the defaults, loopback exempt');

  t.test('the summary keeps the PostgreSQL password out; up.json and the password file are 0600', async (t) => {
    const password = readFileSync(join(up.varDir, 'postgres.password'), 'utf8').trim();
    t.ok(password.length >= 16, 'a generated password');
    t.notOk(up.stdout.includes(password), 'the password is nowhere in what up printed');
    t.notOk(up.stdout.includes(encodeURIComponent(password)), '...not even URL-encoded');
    t.notOk(up.stderr.includes(password), 'nor in its log');
    t.match(up.stdout, /postgres postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres /, 'the URL with the password masked');
    t.match(up.stdout, /password in \S+postgres\.password and \S+up\.json \(databaseUrl\), both mode 0600/, 'and where it is kept');
    t.ok((state.databaseUrl ?? '').includes(`:${encodeURIComponent(password)}@`), 'up.json keeps the whole URL: the CLI and the workers use it');
    for (const file of ['up.json', 'postgres.password']) {
      t.equal((statSync(join(up.varDir, file)).mode & 0o777).toString(8), '600', `${file}: mode 0600`);
    }
  });

  t.test('10,000 requests through nginx, counted by X-Served-By: 10/20/30/40 % within 2 points', async (t) => {
    const counts = new Map<string, number>();
    const answers = await hammer(up.port, () => '/sales/demo', {
      requests: 10_000,
      concurrency: 50,
      onAnswer: (a) => counts.set(a.servedBy, (counts.get(a.servedBy) ?? 0) + 1),
    });
    t.equal(answers.filter((a) => a.status === 200).length, 10_000, 'every request answered 200');
    const nodes = childrenOf(state.children, 'node');
    t.equal(nodes.length, 4);
    for (const n of nodes) {
      const share = ((counts.get(n.name) ?? 0) / 10_000) * 100;
      t.ok(Math.abs(share - n.weight * 10) <= 2, `${n.name} (weight ${n.weight}) served ${share.toFixed(1)} % (want ${n.weight * 10} %)`);
    }
  });

  t.test(`ab -n 10000 -c 100 /buy/ticket: all 10,000 answered 2xx, exactly ${STOCK} sold`, async (t) => {
    // The article's command exactly: ab counts an answer whose length differs from the first as failed, so
    // this also checks that every purchase answer has the same length (PURCHASE_ANSWER_BYTES). Under flock:
    // never two load runs at once on these cores (.ci/run takes the same lock for the bench).
    const out = await new Promise<string>((resolve, reject) => {
      const ab = spawn('flock', [LOAD_LOCK, 'ab', '-n', '10000', '-c', '100', `${up.url}/buy/ticket`], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
      let text = '';
      ab.stdout.on('data', (c: Buffer) => (text += c.toString()));
      ab.stderr.on('data', (c: Buffer) => (text += c.toString()));
      const timer = setTimeout(() => ab.kill('SIGKILL'), 120_000);
      ab.once('error', reject);
      ab.once('exit', () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
    t.equal(num(/Complete requests:\s+(\d+)/), 10_000, 'complete requests 10000');
    t.equal(num(/Failed requests:\s+(\d+)/), 0, 'failed requests 0');
    t.equal(num(/Non-2xx responses:\s+(\d+)/) || 0, 0, 'non-2xx responses 0');
    t.notMatch(out, /Non-2xx responses/, 'ab reports no non-2xx line at all');

    const sale = await hammer(up.port, () => '/sales/demo', { requests: 1, concurrency: 1 });
    const data = sale[0]?.body?.data;
    t.same({ total: data?.total, held: data?.held, paid: data?.paid, remaining: data?.remaining }, { total: STOCK, held: STOCK, paid: 0, remaining: 0 }, `exactly ${STOCK} held, none left`);
    // Demand beyond the stock: "sold out", and not one ticket more.
    const late = await hammer(up.port, () => '/buy/ticket', { requests: 500, concurrency: 20 });
    t.same([...new Set(late.map((a) => `${a.status} ${a.body?.code}`))], ['200 -1'], '500 more purchases: every one sold out');
    const redis = await connectRedisReady(state.redisUrl ?? '');
    t.teardown(() => redis.disconnect());
    const audit = await new SaleEngine(redis).audit('demo');
    t.ok(audit.ok, `audit closes: ${audit.problems.join('; ')}`);
    t.equal(audit.orders, STOCK, `${STOCK} orders, one per sold ticket`);
    t.equal(audit.streamOrders, STOCK, 'one stream entry per order');
    t.equal(audit.countedHeld + audit.countedPaid, STOCK, `counted from the orders: ${STOCK} sold`);
  });

  t.test('SIGTERM stops it with exit 0', async (t) => {
    const exit = await up.stop();
    t.equal(exit.code, 0);
  });
});
