// The live dashboard in a real browser (Debian's chromium driven by playwright-core), through nginx: the
// counters and the chart move during a small purchase load, the page's buttons pause and resume the sale with
// the token typed into it, a waiting room's figures show and its switch and rate work from the page, and a killed
// node shows as down. A screenshot is left in test/output/.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { findBinary } from '../../src/launcher/prereqs.js';
import { NginxProcess } from '../helpers/nginx.js';
import { NodeProcess, http, keepAliveAgent, pool } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';

const TOKEN = 'browser-admin-token';
const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));

t.test('the dashboard page in chromium', async (t) => {
  const executablePath = findBinary('chromium');
  if (executablePath === undefined) throw new Error('chromium is not installed (apt-get install -y chromium; npm test installs it as root)');
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const nodes = await Promise.all(
    ['br-a', 'br-b'].map((id) => NodeProcess.start({ redisUrl: redis.url, threads: 1, args: ['--id', id, '--buyer-rate', '0'], env: { ADMIN_TOKEN: TOKEN } })),
  );
  t.teardown(() => Promise.all(nodes.map((n) => n.stop())));
  const nginx = await NginxProcess.start({ upstreams: nodes.map((n) => ({ host: '127.0.0.1', port: n.port, weight: 1 })) });
  t.teardown(() => nginx.stop());
  const agent = keepAliveAgent(8);
  t.teardown(() => agent.destroy());
  const client = await connectRedisReady(redis.url);
  t.teardown(() => client.disconnect());
  const created = await http(agent, 'POST', `${nginx.url}/admin/sales`, JSON.stringify({ id: 'BROWSE', total: 200, perUserLimit: 1, anonymous: false }), {
    'content-type': 'application/json',
    authorization: `Bearer ${TOKEN}`,
  });
  t.equal(created.status, 201, 'sale created');
  let buyer = 0;
  const buy = () => http(agent, 'GET', `${nginx.url}/buy/ticket?sale=BROWSE&user=b${buyer++}`);

  const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-background-networking'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  await page.goto(`${nginx.url}/dashboard`);
  await page.locator('#ws-state', { hasText: 'live' }).waitFor({ timeout: 5000 });
  const row = page.locator('tr[data-sale="BROWSE"]');
  await row.waitFor({ timeout: 5000 });
  await page.locator('#nodes tr.up').nth(1).waitFor({ timeout: 5000 });
  t.pass('the page is live, with the sale and both nodes up');
  t.equal(await page.textContent('#redis'), 'Redis up');

  t.test('counters and chart move during a purchase load', async (t) => {
    const chartBefore = await page.locator('#chart-sold').screenshot();
    let sawPurchasesPerSec = false;
    // 60 purchases, 4 at a time, paced over ~1.5 s: a small, bounded, local load.
    const load = pool(
      4,
      Array.from({ length: 60 }, () => async () => {
        await sleep(100);
        return buy();
      }),
    );
    while (!(await Promise.race([load.then(() => true), sleep(150).then(() => false)]))) {
      if (Number(await page.textContent('#t-purchases')) > 0) sawPurchasesPerSec = true;
    }
    const answers = await load;
    t.equal(answers.filter((a) => a.json?.code === 1).length, 60, '60 bought');
    const held = Number(await client.hget(saleKeys('BROWSE').meta, 'held'));
    await page.locator('tr[data-sale="BROWSE"] td.sold', { hasText: String(held) }).waitFor({ timeout: 3000 });
    t.equal(held, 60, `the page shows sold ${held}, as Redis has it`);
    t.equal(await row.locator('td.remaining').textContent(), '140');
    if (!sawPurchasesPerSec) sawPurchasesPerSec = Number(await page.textContent('#t-purchases')) > 0;
    t.ok(sawPurchasesPerSec, 'purchases/s above 0 during the load');
    // (A string: this file is compiled without the DOM's types; window.dashboard is the page's own state.)
    const lastSold = await page.evaluate<number | null>("(window.dashboard.history.sold.get('BROWSE') ?? [null]).at(-1)");
    t.equal(lastSold, 60, "the chart's sold series ends at 60");
    await sleep(600); // one more push redraws the chart
    t.not(Buffer.compare(chartBefore, await page.locator('#chart-sold').screenshot()), 0, 'the sold chart was redrawn with the new figures');
  });

  t.test('pause and resume with the operator token', async (t) => {
    t.ok(await page.locator('button[data-action="pause"][data-sale="BROWSE"]').isDisabled(), 'buttons disabled without a token');
    await page.fill('#token', TOKEN);
    t.notMatch(page.url(), TOKEN, 'the token is not in the URL');
    await page.click('button[data-action="pause"][data-sale="BROWSE"]');
    await page.locator('#admin-result[data-status]').waitFor({ timeout: 3000 });
    t.equal(await page.getAttribute('#admin-result', 'data-status'), '200', `pause answered: ${await page.textContent('#admin-result')}`);
    await row.locator('td.state', { hasText: 'paused' }).waitFor({ timeout: 3000 });
    await sleep(300); // every node's shared memory within one reconcile period
    const refused = await Promise.all([buy(), buy()]);
    t.same(refused.map((a) => a.json?.code), [-3, -3], `purchases while paused are refused as not open: ${refused[0].body.trim()}`);
    await page.click('button[data-action="resume"][data-sale="BROWSE"]');
    await page.locator('#admin-result', { hasText: /^resume BROWSE: 200/ }).waitFor({ timeout: 3000 });
    await row.locator('td.state', { hasText: 'open' }).waitFor({ timeout: 3000 });
    await sleep(300); // every node's shared memory within one reconcile period
    t.equal((await buy()).json?.code, 1, 'after resume, purchases succeed again');
  });

  t.test('close asks first, then ends the sale', async (t) => {
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.click('button[data-action="close"][data-sale="BROWSE"]');
    await page.locator('#admin-result', { hasText: 'close BROWSE: not sent' }).waitFor({ timeout: 3000 });
    t.match(asked[0], /Close sale BROWSE now\?/, 'the page asked before closing');
    t.equal((await buy()).json?.code, 1, 'dismissed: the sale still sells');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('button[data-action="close"][data-sale="BROWSE"]');
    await page.locator('#admin-result', { hasText: /^close BROWSE: 200/ }).waitFor({ timeout: 3000 });
    await row.locator('td.state', { hasText: 'closed' }).waitFor({ timeout: 3000 });
    await sleep(300); // every node's shared memory within one reconcile period
    t.equal((await buy()).json?.code, -3, 'accepted: purchases are refused as not open');
  });

  t.test('a train: seats taken per segment and class, and a coach seat by seat', async (t) => {
    const train = { stations: ['A', 'B', 'C', 'D'], coaches: [{ coach: '01', class: 'second', seats: 4, layout: 'AB CD' }] };
    const made = await http(agent, 'POST', `${nginx.url}/admin/sales`, JSON.stringify({ id: 'TRAIN', kind: 'train', anonymous: true, perUserLimit: 5, ...train }), {
      'content-type': 'application/json',
      authorization: `Bearer ${TOKEN}`,
    });
    t.equal(made.status, 201, made.body);
    const bought = await http(agent, 'GET', `${nginx.url}/buy/ticket?sale=TRAIN&from=B&to=D&class=second&passengers=2`);
    const seats = (bought.json?.data as { seats?: Array<{ seat: string }> } | undefined)?.seats ?? [];
    t.equal(seats.length, 2, bought.body);
    const load = page.locator('tr.train[data-train="TRAIN"] .segments[data-class="second"]');
    // Segment 0 (A-B) free, segments 1 and 2 (B-C, C-D) two taken each.
    await load.locator('b[data-segment="1"]', { hasText: '2' }).waitFor({ timeout: 5000 });
    t.same(await load.locator('b').allTextContents(), ['0', '2', '2'], 'the load of each segment, as the seat book has it');
    await page.fill('#token', TOKEN);
    await page.fill('tr.train[data-train="TRAIN"] input.coach-id', '01');
    await page.click('tr.train[data-train="TRAIN"] form.coach button');
    const first = page.locator(`tr.train[data-train="TRAIN"] table.seats tr[data-seat="${seats[0].seat}"]`);
    await first.waitFor({ timeout: 3000 });
    t.same(await first.locator('td.taken, td.free').evaluateAll((tds) => tds.map((td) => td.className)), ['free', 'taken', 'taken'], `seat ${seats[0].seat}: taken from B to D`);
    t.equal(await page.locator('tr.train[data-train="TRAIN"] table.seats tr').count(), 4, 'every seat of the coach');
    await page.fill('tr.train[data-train="TRAIN"] input.coach-id', '99');
    await page.click('tr.train[data-train="TRAIN"] form.coach button');
    await page.locator('tr.train[data-train="TRAIN"] .coach-result', { hasText: /^coach 99: 400/ }).waitFor({ timeout: 3000 });
    t.pass('a coach the train has not: 400, said on the page');
  });

  t.test('a waiting room: its figures, its switch and its rate, operated from the page', async (t) => {
    const admin = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    const queue = { opensAt: new Date(Date.now() + 1000).toISOString(), admitPerSecond: 10, passSeconds: 60 };
    const made = await http(agent, 'POST', `${nginx.url}/admin/sales`, JSON.stringify({ id: 'QUEUED', total: 50, perUserLimit: 1, anonymous: false, queue }), admin);
    t.equal(made.status, 201, made.body);
    // A node that has not read the new sale's waiting room yet answers 503 QUEUE_NOT_READY: asked again shortly.
    const join = async (user: string) => {
      for (let tries = 1; ; tries++) {
        const answer = await http(agent, 'POST', `${nginx.url}/queue/QUEUED/join`, JSON.stringify({ user }), { 'content-type': 'application/json' });
        if (answer.status !== 503 || tries === 20) return answer;
        await sleep(150);
      }
    };
    const joined = await Promise.all(['q1', 'q2', 'q3'].map(join));
    t.same(joined.map((a) => a.json?.code), [1, 1, 1], `three buyers joined the line: ${joined[0].body}`);
    // The queue as the admin API has it (the sale list carries each sale's waiting room).
    const listed = async () => {
      const answer = await http(agent, 'GET', `${nginx.url}/admin/sales`, undefined, { authorization: `Bearer ${TOKEN}` });
      const sales = (answer.json?.data as { sales?: Array<{ id: string; queue?: { on: boolean; admitPerSecond: number | 'auto' } }> } | undefined)?.sales ?? [];
      return sales.find((sale) => sale.id === 'QUEUED')?.queue;
    };
    const room = page.locator('tr.queue[data-queue="QUEUED"]');
    await room.locator('.q-rate', { hasText: '10/s' }).waitFor({ timeout: 5000 });
    t.equal(await room.getAttribute('data-on'), 'true', 'the row shows the queue on, at 10/s');
    t.equal(await page.locator('tr.queue[data-queue="BROWSE"]').count(), 0, 'a sale without a queue has no queue row');
    // The page and the snapshot it last drew, read in one step (both change together in the socket's handler).
    type Shown = { queue: Record<string, unknown>; texts: Record<string, string> };
    const shown = () =>
      page.evaluate<Shown>(`(() => {
        const queue = window.dashboard.last.sales.find((s) => s.id === 'QUEUED').queue;
        const row = document.querySelector('tr.queue[data-queue="QUEUED"]');
        const texts = {};
        for (const b of row.querySelectorAll('b[class^="q-"]')) texts[b.className] = b.textContent;
        return { queue, texts };
      })()`);
    // "joined" is the places given: the three pre-queued buyers, once the node's keeper has read the line.
    await room.locator('.q-line', { hasText: /^3$/ }).waitFor({ timeout: 5000 });
    const first = await shown();
    const wait = (s: unknown) => (typeof s === 'number' ? `${s.toFixed(Number.isInteger(s) ? 0 : 1)} s` : '–');
    t.same(
      first.texts,
      {
        'q-rate': '10/s',
        'q-waiting': String(Math.max(0, Number(first.queue.line) - Number(first.queue.served))),
        'q-line': String(first.queue.line),
        'q-admitted': Number(first.queue.admittedPerSecond).toFixed(1),
        'q-served': String(first.queue.served),
        'q-skipped': String(first.queue.skipped),
        'q-passes': `${String(first.queue.passesUsed)} used, ${String(first.queue.passesExpired)} expired`,
        'q-p50': wait(first.queue.waitP50),
        'q-p99': wait(first.queue.waitP99),
      },
      `in line, joined, served, admitted/s, abandoned, passes used and waits as the snapshot has them: ${JSON.stringify(first.queue)}`,
    );

    await page.fill('#token', TOKEN);
    // A half-typed rate and the buttons survive the snapshots that come meanwhile (rows are updated in place).
    await page.evaluate("document.querySelector('tr.queue[data-queue=\"QUEUED\"] button[data-action=\"queue-off\"]').kept = true");
    await page.focus('tr.queue[data-queue="QUEUED"] input.q-rate-input');
    await page.keyboard.type('2');
    const seen = await page.evaluate<number>('window.dashboard.snapshots');
    // (Polled from here: waitForFunction's string predicate is an eval, which the page's CSP refuses.)
    for (let waited = 0; (await page.evaluate<number>('window.dashboard.snapshots')) < seen + 2 && waited < 3000; waited += 100) await sleep(100);
    t.ok((await page.evaluate<number>('window.dashboard.snapshots')) >= seen + 2, 'two snapshots came meanwhile');
    await page.keyboard.type('5');
    t.equal(await page.evaluate<string>('document.activeElement.className'), 'q-rate-input', 'the rate field kept the focus over two snapshots');
    t.equal(await page.inputValue('tr.queue[data-queue="QUEUED"] input.q-rate-input'), '25', 'and what was typed in it');
    t.equal(await page.evaluate<boolean>("document.querySelector('tr.queue[data-queue=\"QUEUED\"] button[data-action=\"queue-off\"]').kept === true"), true, 'the same button element');

    await page.click('tr.queue[data-queue="QUEUED"] button[data-action="queue-off"]');
    await page.locator('#admin-result', { hasText: /^queue off QUEUED: 200/ }).waitFor({ timeout: 3000 });
    await page.locator('tr.queue[data-queue="QUEUED"][data-on="false"]').waitFor({ timeout: 3000 });
    t.equal((await shown()).queue.on, false, 'queue off: the next snapshot says off');
    t.equal((await listed())?.on, false, 'and so does the admin API');
    const direct = await join('q4');
    t.equal(direct.json?.error, 'NO_QUEUE', `the queue is off: a join is told to buy directly (${direct.status} ${direct.body.trim()})`);

    await page.press('tr.queue[data-queue="QUEUED"] input.q-rate-input', 'Enter'); // the rate field still holds 25
    await page.locator('#admin-result', { hasText: /^rate 25 QUEUED: 200/ }).waitFor({ timeout: 3000 });
    await room.locator('.q-rate', { hasText: '25/s' }).waitFor({ timeout: 3000 });
    t.equal((await shown()).queue.admitPerSecond, 25, 'rate 25: the next snapshot says 25');
    t.equal((await listed())?.admitPerSecond, 25, 'and so does the admin API');
    await page.fill('tr.queue[data-queue="QUEUED"] input.q-rate-input', 'auto');
    await page.click('tr.queue[data-queue="QUEUED"] button[data-action="queue-rate"]');
    await room.locator('.q-rate', { hasText: 'auto' }).waitFor({ timeout: 3000 });
    t.equal((await shown()).queue.admitPerSecond, 'auto', 'rate auto: the next snapshot says auto');
    await page.fill('tr.queue[data-queue="QUEUED"] input.q-rate-input', 'fast');
    await page.click('tr.queue[data-queue="QUEUED"] button[data-action="queue-rate"]');
    await page.locator('#admin-result', { hasText: /^rate fast QUEUED: 400 \S/ }).waitFor({ timeout: 3000 });
    t.pass(`a rate the API refuses: its msg on the page (${await page.textContent('#admin-result')})`);

    await page.click('tr.queue[data-queue="QUEUED"] button[data-action="queue-on"]');
    await page.locator('#admin-result', { hasText: /^queue on QUEUED: 200/ }).waitFor({ timeout: 3000 });
    await page.locator('tr.queue[data-queue="QUEUED"][data-on="true"]').waitFor({ timeout: 3000 });
    t.equal((await shown()).queue.on, true, 'queue on again: the next snapshot says on');
    const after = await listed();
    t.same([after?.on, after?.admitPerSecond], [true, 'auto'], 'and the admin API: on, rate auto');
    const back = await join('q4');
    t.equal(back.json?.code, 1, `the queue is on: a join is taken again (${back.body.trim()})`);
  });

  t.test('a killed node shows as down', async (t) => {
    process.kill(nodes[1].pid!, 'SIGKILL');
    const down = page.locator('tr[data-node="br-b"] td.alive', { hasText: /^down/ });
    await down.waitFor({ timeout: 6000 });
    t.pass('br-b shows as down');
    t.equal(await page.textContent('tr[data-node="br-a"] td.alive'), 'up', 'br-a still up');
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: `${OUTPUT}dashboard.png`, fullPage: true });
  });

  t.test('no script error, no refused resource on the page', async (t) => {
    // The socket to the killed node may have closed; a reconnect is not an error.
    // Two 400s were asked for on purpose (the seat map of a coach the train has not, a waiting room's rate "fast"):
    // Chromium logs each as a console error.
    const refused = 'console: Failed to load resource: the server responded with a status of 400 (Bad Request)';
    t.same(problems.filter((p) => !/WebSocket/.test(p)), [refused, refused], problems.join('\n'));
  });
});
