// nginx/nginx.conf against stand-in upstreams that behave like uWS where it matters (HTTP/1.0 -> 505,
// X-Served-By on every answer), so each nginx decision is checked in isolation and fast. The real nodes
// behind the same template are covered by test/up-*.test.ts.
import t from 'tap';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { NginxProcess } from '../helpers/nginx.js';
import { freePort } from '../helpers/free-port.js';
import { httpRequest } from '../../src/launcher/probe.js';
import { readNginxTemplate, renderNginxConf } from '../../src/launcher/nginx.js';

interface Seen {
  method: string;
  url: string;
  httpVersion: string;
  idempotencyKey: string | undefined;
  requestKey: string | undefined;
  connection: string | undefined;
}

interface StandIn {
  id: string;
  port: number;
  seen: Seen[];
  sockets: Set<Socket>;
  server: Server;
  /** Return true to drop the connection without answering (a node dying mid-request). */
  dropIf: (req: IncomingMessage) => boolean;
}

async function standIn(id: string, dropIf: (req: IncomingMessage) => boolean = () => false): Promise<StandIn> {
  const port = await freePort();
  const self: StandIn = { id, port, seen: [], sockets: new Set(), server: undefined as unknown as Server, dropIf };
  const server = createServer({ keepAliveTimeout: 10_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const key = req.headers['idempotency-key'];
    const requestKey = req.headers['x-request-key'];
    self.seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      httpVersion: req.httpVersion,
      idempotencyKey: Array.isArray(key) ? key[0] : key,
      requestKey: Array.isArray(requestKey) ? requestKey[0] : requestKey,
      connection: req.headers.connection,
    });
    req.resume();
    req.on('end', () => {
      if (self.dropIf(req)) {
        req.socket.destroy();
        return;
      }
      if ((req.url ?? '').includes('own429')) {
        // A node's own 429 (its per-buyer limit), with its own Retry-After.
        res.writeHead(429, { 'content-type': 'application/json', 'x-served-by': id, 'retry-after': '3' });
        res.end(JSON.stringify({ code: 429, msg: 'node', error: 'RATE_LIMITED', data: { limit: 'buyer' } }));
        return;
      }
      // uWS v20 speaks HTTP/1.1 only.
      const status = req.httpVersion === '1.1' ? 200 : 505;
      res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': id });
      res.end(JSON.stringify({ code: status === 200 ? 1 : 0, msg: 'ok', data: {} }));
    });
  });
  server.on('connection', (s: Socket) => {
    self.sockets.add(s);
  });
  self.server = server;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return self;
}

async function closeAll(servers: StandIn[]): Promise<void> {
  for (const s of servers) {
    s.server.closeAllConnections();
    await new Promise<void>((resolve) => s.server.close(() => resolve()));
  }
}

const upstreamsOf = (servers: StandIn[], weights: number[]) =>
  servers.map((s, i) => ({ host: '127.0.0.1', port: s.port, weight: weights[i] ?? 1 }));

t.test('the template renders every placeholder and nginx -t accepts it (as this user)', async (t) => {
  const conf = renderNginxConf(readNginxTemplate(), {
    prefix: '/tmp/ts-prefix',
    port: 8080,
    upstreams: [1, 2, 3, 4].map((w) => ({ host: '127.0.0.1', port: 3000 + w, weight: w })),
    workerProcesses: 2,
  });
  t.notMatch(conf, /\{\{/, 'no placeholder left');
  for (const w of [1, 2, 3, 4]) t.match(conf, new RegExp(`server 127\\.0\\.0\\.1:300${w} weight=${w} `), `node ${w} weight ${w}`);
  t.match(conf, /^\s*proxy_http_version 1\.1;/m, 'HTTP/1.1 upstream');
  t.match(conf, /^\s*proxy_set_header Connection "";/m, 'upstream keep-alive');
  const upstream = /upstream ticket_nodes \{([\s\S]*?)\n    \}/.exec(conf)?.[1] ?? '';
  const idle = /keepalive_timeout (\d+)s;/.exec(upstream);
  t.ok(idle !== null && Number(idle[1]) < 10, `upstream keepalive_timeout ${idle?.[1]}s is below uWS's 10 s idle close`);
  t.match(upstream, /^\s*keepalive \d+;/m, 'upstream keepalive pool');
  t.notMatch(conf, /^\s*limit_req(_zone)? /m, 'no ipRate: no per-address limit');
  const limited = renderNginxConf(readNginxTemplate(), { prefix: '/tmp/ts-prefix', port: 8080, upstreams: [{ host: '127.0.0.1', port: 3001, weight: 1 }], ipRate: 50, ipBurst: 100 });
  t.match(limited, /^\s*limit_req_zone \$binary_remote_addr zone=per_address:10m rate=50r\/s;/m, 'ipRate 50: a zone keyed by the client address');
  const buy = /location = \/buy\/ticket \{([\s\S]*?)\n        \}/.exec(limited)?.[1] ?? '';
  t.match(buy, /^\s*limit_req zone=per_address burst=100 nodelay;/m, 'on the purchase location, burst 100, answered at once');
  t.match(buy, /^\s*error_page 429 = @too_many;/m, "nginx's own 429 goes to @too_many");
  t.match(limited, /^\s*limit_req_status 429;/m, 'refused with 429 (not the default 503)');
  t.throws(() => renderNginxConf(readNginxTemplate(), { prefix: '/p', port: 8080, upstreams: [{ host: '127.0.0.1', port: 3001, weight: 1 }], ipRate: -1 }), RangeError);
  const isRoot = process.getuid?.() === 0;
  if (isRoot) t.match(conf, /^user nobody \w+;/m, 'as root the workers drop to nobody');
  else t.notMatch(conf, /^user /m, 'no user directive when not root');
  // nginx -t runs inside NginxProcess.start too; this one checks a render with 2 workers.
  const nginx = await NginxProcess.start({ upstreams: [{ host: '127.0.0.1', port: await freePort(), weight: 1 }], workerProcesses: 2 });
  t.teardown(() => nginx.stop());
  t.ok(nginx.pid, 'nginx runs');
});

t.test('HTTP/1.1 keep-alive upstream, X-Served-By passed through, 1:2:3:4 split', async (t) => {
  const servers = await Promise.all(['n1', 'n2', 'n3', 'n4'].map((id) => standIn(id)));
  const nginx = await NginxProcess.start({ upstreams: upstreamsOf(servers, [1, 2, 3, 4]) });
  t.teardown(async () => {
    await nginx.stop();
    await closeAll(servers);
  });
  const counts = new Map<string, number>();
  const statuses = new Map<number, number>();
  // 10 concurrent clients, 1,000 requests, each a new client connection (the upstream side keeps alive).
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < 1000) {
        next++;
        const a = await httpRequest(nginx.port, '/sales/demo');
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        const by = String(a.headers['x-served-by']);
        counts.set(by, (counts.get(by) ?? 0) + 1);
      }
    }),
  );
  t.same([...statuses.entries()], [[200, 1000]], 'every answer 200 (HTTP/1.0 upstream would be 505)');
  const all = servers.flatMap((s) => s.seen);
  t.ok(all.every((s) => s.httpVersion === '1.1'), 'nodes only see HTTP/1.1');
  t.ok(all.every((s) => s.connection === undefined), 'no Connection header forwarded');
  const sockets = servers.reduce((n, s) => n + s.sockets.size, 0);
  t.ok(sockets <= 40, `upstream connections are reused: ${sockets} sockets for 1000 requests`);
  // One worker, smooth weighted round robin: exact per 10-request cycle; allow 1 point for in-flight order.
  for (const [i, s] of servers.entries()) {
    const share = ((counts.get(s.id) ?? 0) / 1000) * 100;
    t.ok(Math.abs(share - (i + 1) * 10) <= 1, `${s.id}: ${share}% (want ${(i + 1) * 10}%)`);
  }
});

/** Two stand-ins behind nginx, weights 1:1: `dying` drops every request under `pathPrefix` unanswered. */
async function dyingAndHealthy(t: { teardown: (fn: () => Promise<void>) => void }, pathPrefix: string) {
  const dying = await standIn('dying', (req) => (req.url ?? '').startsWith(pathPrefix));
  const healthy = await standIn('healthy');
  const nginx = await NginxProcess.start({ upstreams: upstreamsOf([dying, healthy], [1, 1]) });
  t.teardown(async () => {
    await nginx.stop();
    await closeAll([dying, healthy]);
  });
  return { dying, healthy, nginx };
}

t.test('a purchase whose node dies mid-request is retried once, with the same X-Request-Key', async (t) => {
  const { dying, healthy, nginx } = await dyingAndHealthy(t, '/buy/ticket');
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await httpRequest(nginx.port, '/buy/ticket?user=u' + i));
  t.ok(answers.every((a) => a.status === 200 && a.headers['x-served-by'] === 'healthy'), 'every purchase answered once, by the live node');
  t.ok(dying.seen.length >= 1, `the dying node received ${dying.seen.length} purchase(s)`);
  const healthyKeys = new Set(healthy.seen.map((s) => s.requestKey));
  for (const s of dying.seen) {
    t.match(s.requestKey ?? '', /^[0-9a-f]{32}$/, 'nginx gave the purchase a request key');
    t.ok(healthyKeys.has(s.requestKey), 'the retry carried the same key, so Redis replays instead of selling twice');
  }
  t.equal(new Set(healthy.seen.map((s) => s.requestKey)).size, healthy.seen.length, 'distinct purchases get distinct keys');
  t.ok([...dying.seen, ...healthy.seen].every((s) => s.idempotencyKey === undefined), 'no Idempotency-Key is made up for a buyer who sent none');
  t.ok(
    [...dying.seen, ...healthy.seen].every((s) => s.connection === undefined && s.httpVersion === '1.1'),
    'purchases too go over HTTP/1.1 keep-alive (no "Connection: close" when the location sets its own header)',
  );

  const own = await httpRequest(nginx.port, '/buy/ticket?user=x', { headers: { 'idempotency-key': 'client-key-1' } });
  t.equal(own.status, 200);
  t.equal(healthy.seen.at(-1)?.idempotencyKey, 'client-key-1', "a buyer's own Idempotency-Key is passed unchanged");
  t.match(healthy.seen.at(-1)?.requestKey ?? '', /^[0-9a-f]{32}$/, 'beside the request key');
});

t.test('pay/cancel (POST) that reached a node is never re-sent; a refused connect is', async (t) => {
  const { dying, healthy, nginx } = await dyingAndHealthy(t, '/orders/');
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await httpRequest(nginx.port, `/orders/o${i}/pay`, { method: 'POST', body: '{}' }));
  const bad = answers.filter((a) => a.status === 502).length;
  t.ok(bad >= 1, `${bad} pay request(s) that reached the dying node answered 502, not re-sent`);
  const paidTwice = dying.seen.filter((d) => healthy.seen.some((h) => h.url === d.url));
  t.same(paidTwice, [], 'no pay request reached two nodes');

  // A dead port: connect refused => the request never reached a node => safe to send elsewhere.
  const deadPort = await freePort();
  const nginx2 = await NginxProcess.start({ upstreams: [{ host: '127.0.0.1', port: deadPort, weight: 1 }, { host: '127.0.0.1', port: healthy.port, weight: 1 }] });
  t.teardown(() => nginx2.stop());
  const posts = [];
  for (let i = 0; i < 4; i++) posts.push(await httpRequest(nginx2.port, `/orders/p${i}/pay`, { method: 'POST', body: '{}' }));
  t.ok(posts.every((a) => a.status === 200), 'POSTs whose connect was refused went to the live node');
});

t.test('oversized bodies and headers are refused by nginx, never reach a node', async (t) => {
  const node = await standIn('n');
  const nginx = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]) });
  t.teardown(async () => {
    await nginx.stop();
    await closeAll([node]);
  });
  const big = await httpRequest(nginx.port, '/buy/ticket', { method: 'POST', body: 'x'.repeat(9 * 1024), headers: { 'content-type': 'application/json' } });
  t.equal(big.status, 413, 'body over 8k: 413');
  const fat = await httpRequest(nginx.port, '/sales/demo', { headers: { 'x-pad': 'y'.repeat(5000) } });
  t.equal(fat.status, 400, 'header over 4k: 400');
  t.equal(node.seen.length, 0, 'neither reached the node');
  const ok = await httpRequest(nginx.port, '/sales/demo', { headers: { 'x-pad': 'y'.repeat(3000) } });
  t.equal(ok.status, 200, 'a 3k header still passes');
});

t.test('per-address limit: 429 + Retry-After + the JSON error from nginx; a node\'s own 429 passes untouched', async (t) => {
  const node = await standIn('n');
  t.teardown(() => closeAll([node]));
  // 1 request a second, no burst: the first purchase of an instant passes, the next ones are nginx's 429.
  const nginx = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]), ipRate: 1, ipBurst: 0, workerProcesses: 2 });
  t.teardown(() => nginx.stop());
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await httpRequest(nginx.port, `/buy/ticket?user=u${i}`));
  t.same(answers.map((a) => a.status), [200, 429, 429, 429, 429], 'one passes, the rest are refused (the zone is shared by both workers)');
  t.equal(node.seen.length, 1, 'refused purchases never reach a node');
  const refused = answers[1]!;
  t.equal(refused.headers['retry-after'], '1', 'Retry-After: 1');
  t.equal(refused.headers['x-served-by'], 'nginx', 'X-Served-By: nginx');
  t.match(refused.headers['content-type'], /^application\/json/, 'JSON');
  t.same(JSON.parse(refused.body), { code: 429, msg: String(JSON.parse(refused.body).msg), error: 'RATE_LIMITED', data: { limit: 'address', retryAfterMs: 1000 } }, "the nodes' error shape");
  const read = await httpRequest(nginx.port, '/sales/demo');
  t.equal(read.status, 200, 'reads are not limited');

  const nodeOnly = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]) });
  t.teardown(() => nodeOnly.stop());
  const own = await httpRequest(nodeOnly.port, '/buy/ticket?user=own429');
  t.equal(own.status, 429);
  t.equal(own.headers['retry-after'], '3', "the node's Retry-After");
  t.equal(own.headers['x-served-by'], 'n', 'answered by the node');
  t.match(JSON.parse(own.body), { data: { limit: 'buyer' } }, "the node's body");
});
