// The buyer's page (GET /buy/{sale}, buyer/) in a real browser (Debian's chromium driven by playwright-core),
// through nginx to two nodes: a buyer joins a sale's waiting room before it opens and sees the countdown, another
// joins behind a line and sees their position move, each is admitted, buys with the pass, pays and gets the
// e-ticket with its QR code; a train's buyer picks stations and a class; with the queue off the page buys without
// a pass; a buyer whose tab was away when the line reached their place sees "skipped" and lines up again at the
// back. The queue token never reaches the URL; the page carries its CSP. A screenshot is left in test/output/.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page, type Route } from 'playwright-core';
import { findBinary } from '../../src/launcher/prereqs.js';
import { rotateKey } from '../../src/tickets/keys.js';
import { NginxProcess } from '../helpers/nginx.js';
import { NodeProcess, http, keepAliveAgent } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';

const TOKEN = 'queue-browser-admin-token';
const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";
/** Buyers who join the counter sale's line by the API before it opens (and keep polling, so none is skipped). */
const CROWD = 30;

/** The page's own state (window.buyer in buyer/buyer.js), as far as the test reads it. */
interface BuyerState {
  polls: number;
  status: { state: string; place?: number; position: number | null; ahead: number | null } | null;
  qrText: string | null;
  order: { orderId: string; seats?: Array<{ coach: string; seat: string; from: string; to: string }> } | null;
}

// This file is compiled without the DOM's types: what runs in the page is written as strings.
const buyerState = (page: Page) => page.evaluate<BuyerState>('window.buyer');
const stageOf = (page: Page) => page.getAttribute('body', 'data-stage');
/** Waits for `selector` on the page; a timeout says what the page showed instead (its stage, message and last status). */
async function waitOn(page: Page, selector: string, timeout: number, state: 'attached' | 'visible' = 'attached'): Promise<void> {
  try {
    await page.locator(selector).waitFor({ state, timeout });
  } catch (err) {
    const seen = await page.evaluate<string>("JSON.stringify({ stage: document.body.dataset.stage, message: document.getElementById('message').textContent, status: window.buyer.status })");
    throw new Error(`${selector} not ${state} within ${timeout} ms; the page showed ${seen}`, { cause: err });
  }
}
const waitStage = (page: Page, stage: string, timeout: number) => waitOn(page, `body[data-stage="${stage}"]`, timeout);
const storedToken = async (page: Page, sale: string) => {
  const saved = await page.evaluate<string | null>(`sessionStorage.getItem('ticket-spike:queue:${sale}')`);
  return saved === null ? null : (JSON.parse(saved) as { token: string | null }).token;
};

/** The QR library as the page runs it (the same file, served from the same package), to draw the expected image. */
const qrcode = createRequire(import.meta.url)('qrcode-generator') as {
  (type: number, level: string): { addData(s: string, mode: string): void; make(): void; createDataURL(cell: number, margin: number): string };
  stringToBytes: unknown;
  stringToBytesFuncs: Record<string, unknown>;
};
function expectedQr(text: string): string {
  qrcode.stringToBytes = qrcode.stringToBytesFuncs['UTF-8'];
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  return qr.createDataURL(4, 16);
}

t.test('the buyer page in chromium', async (t) => {
  const executablePath = findBinary('chromium');
  if (executablePath === undefined) throw new Error('chromium is not installed (apt-get install -y chromium; npm test installs it as root)');
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  // One ticket key for both nodes: a ticket one signed verifies on the other (a gate asks either).
  const keyDir = mkdtempSync(join(tmpdir(), 'ts-queue-browser-keys-'));
  t.teardown(() => rmSync(keyDir, { recursive: true, force: true }));
  rotateKey(keyDir);
  const nodes = await Promise.all(
    ['qb-a', 'qb-b'].map((id) =>
      NodeProcess.start({ redisUrl: redis.url, threads: 1, args: ['--id', id, '--buyer-rate', '0', '--ticket-keys', keyDir], env: { ADMIN_TOKEN: TOKEN } }),
    ),
  );
  t.teardown(() => Promise.all(nodes.map((n) => n.stop())));
  const nginx = await NginxProcess.start({ upstreams: nodes.map((n) => ({ host: '127.0.0.1', port: n.port, weight: 1 })) });
  t.teardown(() => nginx.stop());
  const agent = keepAliveAgent(8);
  t.teardown(() => agent.destroy());
  const admin = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    http(agent, method, `${nginx.url}${path}`, body === undefined ? undefined : JSON.stringify(body), { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers });

  // Started before the sales: the counter's line opens 4 s after its creation.
  const browser: Browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-background-networking'] });
  t.teardown(() => browser.close());

  const problems: string[] = [];
  const urls: string[] = [];
  const queueHeaders: Array<{ url: string; token: string | undefined; pass: string | undefined }> = [];
  /** A buyer's tab: a browser context of its own (its own sessionStorage), with the page's errors and requests recorded. */
  const tab = async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 1000 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('request', (req) => {
      urls.push(req.url());
      const h = req.headers();
      if (h['queue-token'] !== undefined || h['queue-pass'] !== undefined) queueHeaders.push({ url: req.url(), token: h['queue-token'], pass: h['queue-pass'] });
    });
    return page;
  };
  const open = async (sale: string, page?: Page) => {
    const buyer = page ?? (await tab());
    return { page: buyer, answer: await buyer.goto(`${nginx.url}/buy/${sale}`) };
  };
  const joinLine = async (page: Page, user: string) => {
    await waitStage(page, 'join', 5000);
    await page.fill('#user', user);
    await page.click('#join-button');
  };
  // Alice's tab is opened before the sale exists (a new browser context takes a while): her 4 s are for the page.
  const aliceTab = await tab();

  // ---- the sales: a train whose line is open, then a counter whose line opens 4 s after its creation, admitting 5 a second ----
  const train = { stations: ['A', 'B', 'C', 'D'], coaches: [{ coach: '01', class: 'second', seats: 8, layout: 'AB CD' }, { coach: '02', class: 'first', seats: 4, layout: 'A D' }] };
  const made = await api('POST', '/admin/sales', { id: 'QTRAIN', kind: 'train', anonymous: false, perUserLimit: 2, ...train, queue: { admitPerSecond: 5 } }, admin);
  t.equal(made.status, 201, `train sale created: ${made.body}`);
  // A node answers 503 QUEUE_NOT_READY until its main thread has read the waiting rooms' shared key (made with the
  // first sale that has one): wait for both here, so the counter's 4 s before its opening are the page's.
  for (const node of nodes) {
    const deadline = Date.now() + 10_000;
    let joined = await http(agent, 'POST', `${node.url}/queue/QTRAIN/join`, JSON.stringify({ user: `warm-${node.port}` }), { 'content-type': 'application/json' });
    while (joined.status === 503 && Date.now() < deadline) {
      await sleep(50);
      joined = await http(agent, 'POST', `${node.url}/queue/QTRAIN/join`, JSON.stringify({ user: `warm-${node.port}` }), { 'content-type': 'application/json' });
    }
    t.equal(joined.json?.code, 1, `node ${node.port} takes joins: ${joined.body}`);
  }
  const opensAt = Date.now() + 4000; // room for the page on a busy machine (npm test runs 4 files at once)
  const counter = await api('POST', '/admin/sales', { id: 'QLINE', total: 100, perUserLimit: 1, anonymous: false, queue: { opensAt: new Date(opensAt).toISOString(), admitPerSecond: 5, passSeconds: 120 } }, admin);
  t.equal(counter.status, 201, `counter sale created: ${counter.body}`);

  // ---- the crowd joins before the opening (and keeps its places by polling, as a page would), while alice's page loads ----
  const [crowd, { page: alice, answer: aliceAnswer }] = await Promise.all([
    Promise.all(Array.from({ length: CROWD }, async (_, i) => {
      let joined = await api('POST', '/queue/QLINE/join', { user: `crowd-${i}` });
      // 503 QUEUE_NOT_READY: a node that has not read the line's key yet (just started); it says to retry.
      for (let tries = 0; joined.status === 503 && tries < 40; tries++) {
        await sleep(100);
        joined = await api('POST', '/queue/QLINE/join', { user: `crowd-${i}` });
      }
      if (joined.json?.code !== 1) throw new Error(`crowd-${i} could not join: ${joined.status} ${joined.body}`);
      return (joined.json.data as { token: string }).token;
    })),
    open('QLINE', aliceTab),
  ]);
  let polling = true;
  const pollers = Promise.all(
    crowd.map(async (first) => {
      let token = first;
      while (polling) {
        // A poll in flight when the teardown stops nginx (after a failed subtest) fails: not this test's finding.
        const s = await api('GET', '/queue/QLINE/status', undefined, { 'queue-token': token }).catch(() => null);
        if (s === null) {
          await sleep(1000);
          continue;
        }
        const data = s.json?.data as { token?: string; pollSeconds?: number } | undefined;
        if (typeof data?.token === 'string') token = data.token;
        await sleep(Math.min(10, Math.max(1, data?.pollSeconds ?? 2)) * 1000);
      }
    }),
  );
  t.teardown(async () => {
    polling = false;
    await pollers;
  });

  t.test('before the opening: joined, the line opens in N s', async (t) => {
    await joinLine(alice, 'alice');
    await waitOn(alice, '#opens-in:not([hidden])', 5000, 'visible');
    t.ok(Date.now() < opensAt, `joined before the line opened (${opensAt - Date.now()} ms before)`);
    const seconds = Number(await alice.textContent('#opens-seconds'));
    t.ok(seconds >= 0 && seconds <= 5, `the page counts down to the opening: ${seconds} s`);
    t.equal((await buyerState(alice)).status?.state, 'pre-queue');
  });

  t.test('the page is served with its security headers, from the installed files', async (t) => {
    const headers = aliceAnswer?.headers() ?? {};
    t.equal(aliceAnswer?.status(), 200);
    t.match(headers['content-type'], /^text\/html/);
    t.match(headers['content-security-policy'], CSP, `CSP: ${headers['content-security-policy']}`);
    t.equal(headers['referrer-policy'], 'no-referrer');
    t.equal(headers['x-content-type-options'], 'nosniff');
    const qr = await api('GET', '/buyer/vendor/qrcode.js');
    t.equal(qr.status, 200, 'the QR library from the qrcode-generator package');
    t.match(qr.body, /var qrcode = function/);
    t.equal((await api('GET', '/buyer/nothing.js')).status, 404, 'a file the page has not: 404');
    t.equal((await api('GET', '/buy/bad%20id')).status, 400, 'a path that is no sale id: 400');
    const purchase = await api('GET', '/buy/ticket?user=someone&sale=QLINE');
    t.equal(purchase.json?.code, -3, `GET /buy/ticket is still the purchase (refused without a pass): ${purchase.body.trim()}`);
  });

  let bob: Page;
  t.test('behind the line: a position that moves, then admitted', async (t) => {
    bob = (await open('QLINE')).page;
    await sleep(Math.max(0, opensAt + 300 - Date.now())); // bob joins after the opening: behind the crowd and alice
    await joinLine(bob, 'bob');
    const seen: number[] = [];
    const deadline = Date.now() + 30_000;
    while ((await stageOf(bob)) !== 'buy' && Date.now() < deadline) {
      const s = (await buyerState(bob)).status;
      if (s?.state === 'waiting' && typeof s.position === 'number' && seen.at(-1) !== s.position) seen.push(s.position);
      await sleep(100);
    }
    t.equal(await stageOf(bob), 'buy', `admitted within 30 s (positions seen: ${seen.join(', ')})`);
    t.ok(seen.length >= 1 && seen[0] > 1, `bob waited behind others: first position ${seen[0]}`);
    t.ok(seen.length >= 2, `the position moved: ${seen.join(' → ')}`);
    t.same([...seen].sort((a, b) => b - a), seen, 'and only forward');
  });

  t.test('admitted: buys with the pass, pays, gets the ticket and its QR code', async (t) => {
    await bob.click('#buy-button');
    await waitStage(bob, 'order', 5000);
    const state = await buyerState(bob);
    t.match(state.order?.orderId, /^QLINE\./, `order ${state.order?.orderId}`);
    const bought = queueHeaders.find((h) => h.url.endsWith('/buy/ticket'));
    t.ok(bought?.pass !== undefined && bought.pass.length > 0, 'the purchase carried Queue-Pass');
    await bob.click('#pay-button');
    await waitStage(bob, 'ticket', 5000);
    const { qrText } = await buyerState(bob);
    t.ok(qrText !== null, 'the page made the QR text');
    const src = await bob.getAttribute('#qr', 'src');
    t.match(src, /^data:image\/gif;base64,/, 'the QR code is a data: image');
    t.equal(src, expectedQr(qrText!), 'the image is the QR code of the ticket');
    const drawn = await bob.locator('#qr').evaluate((img) => {
      const image = img as unknown as { complete: boolean; naturalWidth: number };
      return image.complete && image.naturalWidth > 100;
    });
    t.ok(drawn, 'and the browser drew it');
    const verified = await api('POST', '/tickets/verify', { ticket: JSON.parse(qrText!) });
    t.equal(verified.json?.code, 1, `what the QR code carries is a valid ticket: ${verified.body}`);
    t.equal((verified.json?.data as { user?: string } | undefined)?.user, 'bob');
    t.match(await bob.textContent('#ticket-facts'), /Buyer\s*bob/);
    mkdirSync(OUTPUT, { recursive: true });
    await bob.screenshot({ path: `${OUTPUT}buyer.png`, fullPage: true });
  });

  t.test('alice, drawn from the pre-queue, gets her turn too', async (t) => {
    await waitStage(alice, 'buy', 30_000);
    await alice.click('#buy-button');
    await waitStage(alice, 'order', 5000);
    await alice.click('#pay-button');
    await waitStage(alice, 'ticket', 5000);
    t.match(await alice.textContent('#ticket-facts'), /Buyer\s*alice/);
  });

  t.test('a train: stations and class, then the seat on the ticket', async (t) => {
    const { page: carol } = await open('QTRAIN');
    await joinLine(carol, 'carol');
    await waitStage(carol, 'buy', 20_000);
    t.same(await carol.locator('#from option').allTextContents(), ['A', 'B', 'C'], 'from: every station but the last');
    t.same(await carol.locator('#class option').allTextContents(), ['second', 'first'], 'the classes of the coaches');
    await carol.selectOption('#from', 'B');
    await carol.selectOption('#to', 'D');
    await carol.selectOption('#class', 'first');
    await carol.click('#buy-button');
    await waitStage(carol, 'order', 5000);
    const seats = (await buyerState(carol)).order?.seats ?? [];
    t.equal(seats.length, 1, 'one passenger, one seat');
    t.match(seats[0], { coach: '02', from: 'B', to: 'D' }, 'in first class (coach 02), from B to D');
    await carol.click('#pay-button');
    await waitStage(carol, 'ticket', 5000);
    t.match(await carol.textContent('#ticket-facts'), new RegExp(`coach 02 seat ${seats[0].seat}, B → D`), 'the ticket names the seat and the trip');
    const verified = await api('POST', '/tickets/verify', { ticket: JSON.parse((await buyerState(carol)).qrText!) });
    t.equal(verified.json?.code, 1, `valid: ${verified.body}`);
    t.equal(carol.url(), `${nginx.url}/buy/QTRAIN`);
  });

  t.test('the queue token never reaches an address', async (t) => {
    for (const page of [alice, bob]) {
      const token = await storedToken(page, 'QLINE');
      t.ok(token !== null && token.length > 8, 'the tab keeps its queue token in sessionStorage');
      t.equal(page.url(), `${nginx.url}/buy/QLINE`, 'the page address is the sale only');
      t.notOk(urls.some((u) => u.includes(token!)), 'no request address carries the token');
    }
    const polls = queueHeaders.filter((h) => h.url.endsWith('/queue/QLINE/status'));
    t.ok(polls.length >= 3 && polls.every((h) => h.token !== undefined), `the polls carried Queue-Token (${polls.length} polls)`);
  });

  t.test('the queue turned off: the page buys without a pass', async (t) => {
    const off = await api('POST', '/admin/sales/QLINE/queue', { on: false }, admin);
    t.equal(off.status, 200, off.body);
    await sleep(300); // every node's shared memory within one reconcile period
    const { page: dave } = await open('QLINE');
    await joinLine(dave, 'dave');
    await waitStage(dave, 'buy', 5000);
    const before = queueHeaders.length;
    await dave.click('#buy-button');
    await waitStage(dave, 'order', 5000);
    t.equal(queueHeaders.length, before, 'no Queue-Pass sent');
    await dave.click('#pay-button');
    await waitStage(dave, 'ticket', 5000);
    t.pass('dave has a ticket');
  });

  t.test('a tab away when the line reached its place: skipped, then in line again at the back', async (t) => {
    // One a second, so the line waits for nobody long; erin's place is passed about 6 s after the opening (the
    // opening's ripeness, lua/queue-tick-6.lua), frank's behind hers admitted then.
    const made = await api('POST', '/admin/sales', { id: 'QSKIP', total: 10, perUserLimit: 1, anonymous: false, queue: { admitPerSecond: 1 } }, admin);
    t.equal(made.status, 201, `sale created: ${made.body}`);
    const erin = await tab();
    await erin.goto(`${nginx.url}/buy/QSKIP`);
    // Erin's tab joins, then asks nothing: closed, or asleep in the background. Its polls are held from the first
    // one on (the page polls right after its join): a node counts a poll as "lately" for 30-60 s, longer than this
    // test waits for the line to reach her.
    const held: Route[] = [];
    await erin.route('**/queue/QSKIP/status', (route) => {
      held.push(route);
    });
    const firstJoin = erin.waitForResponse((r) => r.url().endsWith('/queue/QSKIP/join') && r.status() === 200);
    await joinLine(erin, 'erin');
    const first = ((await (await firstJoin).json()) as { data: { token: string; place: number } }).data;
    t.equal(await storedToken(erin, 'QSKIP'), first.token, 'the tab keeps its token');
    await erin.goto('about:blank'); // the tab is gone; its sessionStorage stays with it
    await erin.unrouteAll({ behavior: 'ignoreErrors' });
    t.ok(held.length >= 1, `erin's page asked (${held.length}), nothing reached the server`);

    let frank = await api('POST', '/queue/QSKIP/join', { user: 'frank' });
    for (let tries = 0; frank.status === 503 && tries < 40; tries++) {
      await sleep(100);
      frank = await api('POST', '/queue/QSKIP/join', { user: 'frank' });
    }
    const behind = frank.json?.data as { token: string; place: number };
    t.ok(frank.json?.code === 1 && behind.place > first.place, `frank joins behind erin (places ${first.place}, ${behind?.place}; ${frank.status} ${frank.json?.msg})`);
    let frankState = '';
    for (const deadline = Date.now() + 20_000; frankState !== 'admitted' && Date.now() < deadline; await sleep(1000)) {
      const s = await api('GET', '/queue/QSKIP/status', undefined, { 'queue-token': behind.token });
      frankState = (s.json?.data as { state?: string } | undefined)?.state ?? String(s.status);
    }
    t.equal(frankState, 'admitted', 'frank, who kept asking, admitted: the line went past erin');

    // Erin comes back to the same tab: the page finds its place passed, says so, and offers the back of the line.
    await erin.goto(`${nginx.url}/buy/QSKIP`);
    await waitStage(erin, 'skipped', 10_000);
    t.match((await buyerState(erin)).status, { state: 'skipped', place: first.place }, 'the place the line passed');
    t.match(await erin.textContent('#message'), /passed your place/, 'the page says so');
    t.equal((await erin.textContent('#rejoin-button'))?.trim(), 'join again (back of the line)', 'and offers the back of the line');
    const again = erin.waitForResponse((r) => r.url().endsWith('/queue/QSKIP/join') && r.status() === 200);
    await erin.click('#rejoin-button');
    const second = ((await (await again).json()) as { data: { token: string; place: number } }).data;
    t.ok(second.place > behind.place, `a new place at the back: ${first.place} → ${second.place}`);
    t.not(second.token, first.token, 'with a new token');
    t.equal(await storedToken(erin, 'QSKIP'), second.token, 'which replaced the stored one');
    await waitStage(erin, 'buy', 15_000);
    t.match((await buyerState(erin)).status, { state: 'admitted', place: second.place }, 'admitted at the new place');
  });

  t.test('no script error, no refused resource on the page', async (t) => {
    // dave's join was answered 409 NO_QUEUE on purpose (the page then buys directly): Chromium logs it.
    const expected = /^console: Failed to load resource: the server responded with a status of 409/;
    t.same(problems.filter((p) => !expected.test(p)), [], problems.join('\n'));
  });
});
