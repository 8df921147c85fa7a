// The live dashboard's WebSocket (/ws/sales), straight at a node and through nginx: snapshots at least twice
// a second, the sale's counters as Redis has them, every node in the view of the one a client reached, a killed
// node shown down; a client's messages are ignored (and an oversized one closes only that client), and a
// client that reads nothing is closed instead of buffered without limit.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { DashboardClient } from '../helpers/dashboard-client.js';
import { NginxProcess } from '../helpers/nginx.js';
import { NodeProcess, http, keepAliveAgent, pool } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';

const TOKEN = 'dash-admin-token-16';
const admin = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

t.test('the live dashboard socket', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  // Node A: two threads (both push); node B: one thread, killed at the end.
  const [a, b] = await Promise.all(
    [2, 1].map((threads, i) =>
      NodeProcess.start({ redisUrl: redis.url, threads, args: ['--id', `dash-${'ab'[i]}`, '--buyer-rate', '0'], env: { ADMIN_TOKEN: TOKEN } }),
    ),
  );
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  // rateExempt []: the dashboards' per-address cap must count this test's own address (127.0.0.1).
  const nginx = await NginxProcess.start({ upstreams: [a, b].map((n) => ({ host: '127.0.0.1', port: n.port, weight: 1 })), rateExempt: [] });
  t.teardown(() => nginx.stop());
  const agent = keepAliveAgent(16);
  t.teardown(() => agent.destroy());
  const created = await http(agent, 'POST', `${a.url}/admin/sales`, JSON.stringify({ id: 'DASH', total: 40, perUserLimit: 1, anonymous: false }), admin);
  t.equal(created.status, 201, 'sale created');
  const client = await connectRedisReady(redis.url);
  t.teardown(() => client.disconnect());

  const direct = await DashboardClient.open(a.url);
  t.teardown(() => direct.close());

  t.test('at least two snapshots a second, every node in them', async (t) => {
    const times = await direct.next(6, 4000);
    t.equal(times.length, 6, 'six snapshots');
    const mean = (times[5] - times[0]) / 5;
    t.ok(mean <= 550, `one every ${mean.toFixed(0)} ms (<= 500 ms + jitter)`);
    const both = await direct.waitFor((s) => s.nodes.filter((n) => n.alive === true).length === 2, 3000, 'both nodes alive');
    t.same(both.nodes.map((n) => [n.id, n.threads]), [['dash-a', 2], ['dash-b', 1]], 'both nodes, with their threads');
    t.equal(both.servedBy, 'dash-a');
    t.equal(both.redis, true, 'Redis reachable');
    t.equal(both.postgres, 'none', 'no database configured');
  });

  t.test("the sale's counters match Redis after purchases; the rates move", async (t) => {
    const answers = await pool(8, Array.from({ length: 25 }, (_, i) => () => http(agent, 'GET', `${nginx.url}/buy/ticket?sale=DASH&user=u${i}`)));
    t.equal(answers.filter((r) => r.json?.code === 1).length, 25, '25 bought');
    const meta = await client.hgetall(saleKeys('DASH').meta);
    const held = Number(meta['held']);
    const paid = Number(meta['paid']);
    const snap = await direct.waitFor((s) => s.sales.some((x) => x.id === 'DASH' && x.held === held), 2000, 'the purchases in the counters');
    t.match(snap.sales.find((x) => x.id === 'DASH'), { total: 40, held, paid, sold: held + paid, remaining: 40 - held - paid, state: 'open' }, 'as Redis has them');
    const moving = direct.snapshots.slice(-5).some(({ snap }) => snap.totals.purchasesPerSec > 0 && snap.totals.requestsPerSec > 0);
    t.ok(moving, 'purchases/s and requests/s above 0 right after');
    const shared = await direct.waitFor((s) => s.nodes.length === 2 && s.nodes.every((n) => n.share > 0), 2000, 'both nodes with a share');
    t.ok(shared.nodes.every((n) => n.alive === true && n.p99Ms !== null), 'both nodes took part of the traffic, with a p99');
  });

  t.test('through nginx', async (t) => {
    const viaNginx = await DashboardClient.open(nginx.url);
    t.teardown(() => viaNginx.close());
    const times = await viaNginx.next(3, 2500);
    t.equal(times.length, 3, 'snapshots arrive through nginx');
    t.ok(['dash-a', 'dash-b'].includes(viaNginx.last!.servedBy), `from ${viaNginx.last?.servedBy}`);
    const page = await http(agent, 'GET', `${nginx.url}/dashboard`);
    t.equal(page.status, 200, 'the page');
    t.match(page.headers['content-type'], /text\/html/);
    t.match(page.body, /\/ws\/sales|app\.js/);
    const uplot = await http(agent, 'GET', `${nginx.url}/dashboard/vendor/uPlot.iife.min.js`);
    t.equal(uplot.status, 200, 'uPlot from the npm package');
    t.match(uplot.body, /uPlot/);
    t.equal((await http(agent, 'GET', `${nginx.url}/dashboard/../package.json`)).status, 404, 'no other file');
    // location /ws/ (not the catch-all location /): at most 16 dashboards per client address.
    const more = await Promise.all(Array.from({ length: 15 }, () => DashboardClient.open(nginx.url)));
    t.teardown(() => more.forEach((c) => c.close()));
    await t.rejects(DashboardClient.open(nginx.url), /HTTP 503/, 'the 17th dashboard from one address is refused by nginx');
    const plain = await http(agent, 'GET', `${nginx.url}/buy/ticket?sale=DASH&user=after-ws`);
    t.equal(plain.json?.code, 1, 'other locations still work beside the upgrade map');
  });

  t.test("a client's messages are ignored; an oversized one closes only that client", async (t) => {
    const noisy = await DashboardClient.open(a.url);
    noisy.ws.send('{"type":"pause","sale":"DASH"}');
    noisy.ws.send('not json at all');
    noisy.ws.send(randomBytes(300));
    noisy.ws.send('\u0000'.repeat(400));
    t.equal((await noisy.next(2, 2500)).length, 2, 'still pushed to after its messages');
    noisy.ws.send('x'.repeat(4096));
    const deadline = Date.now() + 3000;
    while (noisy.closed === null && Date.now() < deadline) await sleep(20);
    t.ok(noisy.closed !== null, `a 4 KiB message closed it (${noisy.closed?.code})`);
    t.equal((await http(agent, 'GET', `${a.url}/healthz`)).status, 200, 'the node answers');
    t.equal((await direct.next(2, 2500)).length, 2, 'and the other dashboard still gets snapshots');
    t.equal((await client.hget(saleKeys('DASH').meta, 'total')), '40', 'nothing changed');
  });

  t.test('a client that reads nothing is closed, not buffered without limit', async (t) => {
    const slow = await rawUpgrade(a.port);
    slow.pause(); // reads nothing from here on
    // Pings are answered with pongs: 40,000 of them (5 MB) back up behind a reader that never reads, past the
    // kernel's buffers and uWS's maxBackpressure.
    const ping = maskedPing();
    slow.write(Buffer.concat(Array.from({ length: 40_000 }, () => ping)));
    await sleep(1500);
    t.equal((await http(agent, 'GET', `${a.url}/healthz`)).status, 200, 'the node answers meanwhile');
    let bytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<boolean>((resolve) => {
      slow.on('close', () => resolve(true));
      timer = setTimeout(() => resolve(false), 8000);
    });
    slow.on('data', (d: Buffer) => (bytes += d.length));
    slow.resume();
    t.ok(await ended, 'the node closed the connection');
    clearTimeout(timer);
    t.ok(bytes < 5_000_000, `it got ${(bytes / 1e6).toFixed(1)} MB of the 5 MB of pongs before the close: the rest was never buffered`);
    slow.destroy();
    t.equal((await direct.next(2, 2500)).length, 2, 'the other dashboard still gets snapshots');
  });

  t.test('a killed node shows as down', async (t) => {
    process.kill(b.pid!, 'SIGKILL');
    const killedAt = Date.now();
    const snap = await direct.waitFor((s) => s.nodes.find((n) => n.id === 'dash-b')?.alive === false, 4000, 'dash-b down');
    t.ok(Date.now() - killedAt < 4000, `down after ${Date.now() - killedAt} ms`);
    t.equal(snap.nodes.find((n) => n.id === 'dash-a')?.alive, true, 'dash-a still up');
    t.equal(snap.nodes.find((n) => n.id === 'dash-b')?.share, 0, 'a down node takes no share');
  });
});

/** A WebSocket handshake over a raw socket; resolves once the 101 has been read. */
function rawUpgrade(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET /ws/sales HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`no upgrade: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

/** One client ping frame (FIN, opcode 9) with a masked 125-byte payload. */
function maskedPing(): Buffer {
  const mask = randomBytes(4);
  const payload = randomBytes(125);
  for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
  return Buffer.concat([Buffer.from([0x89, 0x80 | 125]), mask, payload]);
}
