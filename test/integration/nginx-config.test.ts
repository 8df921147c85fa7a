// nginx/nginx.conf against stand-in upstreams that behave like uWS where it matters (HTTP/1.0 -> 505,
// X-Served-By on every answer), so each nginx decision is checked in isolation and fast. The real nodes
// behind the same template are covered by test/up-*.test.ts.
import t from 'tap';
import type { Test } from 'tap';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestFrom } from '../helpers/client-address.js';
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
  /** Who nginx says the client is. */
  realIp: string | undefined;
}

interface StandIn {
  id: string;
  port: number;
  seen: Seen[];
  sockets: Set<Socket>;
  server: Server;
  /** Return true to drop the connection without answering (a node dying mid-request). */
  dropIf: (req: IncomingMessage) => boolean;
  /** Answers to requests for /slow... wait here until release() (requests in progress at nginx). */
  held: Array<() => void>;
  release: () => void;
}

async function standIn(id: string, dropIf: (req: IncomingMessage) => boolean = () => false): Promise<StandIn> {
  const port = await freePort();
  const self: StandIn = {
    id,
    port,
    seen: [],
    sockets: new Set(),
    server: undefined as unknown as Server,
    dropIf,
    held: [],
    release: () => self.held.splice(0).forEach((answer) => answer()),
  };
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
      realIp: req.headers['x-real-ip'] as string | undefined,
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
      const answer = () => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': id });
        res.end(JSON.stringify({ code: status === 200 ? 1 : 0, msg: 'ok', data: {} }));
      };
      if ((req.url ?? '').startsWith('/slow')) self.held.push(answer);
      else answer();
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
  t.notMatch(conf, /^\s*limit_req(_zone)? .*zone=per_address\b/m, 'no ipRate: no per-address purchase limit');
  const limited = renderNginxConf(readNginxTemplate(), { prefix: '/tmp/ts-prefix', port: 8080, upstreams: [{ host: '127.0.0.1', port: 3001, weight: 1 }], ipRate: 50, ipBurst: 100 });
  t.match(limited, /^\s*limit_req_zone \$limit_key zone=per_address:10m rate=50r\/s;/m, 'ipRate 50: a zone keyed by the client address (or nothing, for an exempt one)');
  const zones = limited.match(/^\s*limit_(req|conn)_zone \S+/gm) ?? [];
  t.equal(zones.length, 8, `eight zones: ${zones.join(', ')}`);
  t.ok(zones.every((z) => z.endsWith('$limit_key')), 'every limit_req and limit_conn zone has the one key that honours the exempt list');
  t.match(limited, /geo \$limit_exempt \{\s+default 0;\s+127\.0\.0\.0\/8 1;\s+::1 1;\s+\}/, 'by default loopback (ab, wrk on this machine) is exempt');
  t.match(limited, /map \$limit_exempt \$limit_key \{\s+1\s+"";\s+default \$binary_remote_addr;/, 'an exempt client has an empty key');
  for (const [directive, value] of [['client_header_timeout', '5s'], ['client_body_timeout', '5s'], ['send_timeout', '10s']]) {
    t.match(limited, new RegExp(`^\\s*${directive} ${value};`, 'm'), `${directive} ${value} (nginx's default is 60 s)`);
  }
  t.notMatch(limited, /^\s*(set_real_ip_from|real_ip_header)/m, 'no trusted proxy: X-Forwarded-For is not read');
  const none = renderNginxConf(readNginxTemplate(), { prefix: '/tmp/ts-prefix', port: 8080, upstreams: [{ host: '127.0.0.1', port: 3001, weight: 1 }], rateExempt: [], trustedProxies: ['10.0.0.0/8', '2001:db8::/32'] });
  t.match(none, /geo \$limit_exempt \{\s+default 0;\s+# [^\n]*\n\s+\}/, 'rateExempt []: no geo entry, every address limited');
  t.match(none, /set_real_ip_from 10\.0\.0\.0\/8;\s+set_real_ip_from 2001:db8::\/32;\s+real_ip_header X-Forwarded-For;\s+real_ip_recursive on;/, 'each trusted proxy, then the header, recursively');
  const base = { prefix: '/tmp/ts-prefix', port: 8080, upstreams: [{ host: '127.0.0.1', port: 3001, weight: 1 }] };
  t.throws(() => renderNginxConf(readNginxTemplate(), { ...base, rateExempt: ['10.0.0.1/8'] }), /rateExempt item 1: "10\.0\.0\.1\/8" has bits set beyond its \/8: write 10\.0\.0\.0\/8/);
  t.throws(() => renderNginxConf(readNginxTemplate(), { ...base, trustedProxies: ['10.0.0.0/8; deny all'] }), /trustedProxies item 1/, 'nothing but addresses reaches the config');
  t.throws(() => renderNginxConf(readNginxTemplate(), { ...base, trustedProxies: ['0.0.0.0/0'] }), /trusts every address/);
  const buy = /location = \/buy\/ticket \{([\s\S]*?)\n        \}/.exec(limited)?.[1] ?? '';
  t.match(buy, /^\s*limit_req zone=per_address burst=100 nodelay;/m, 'on the purchase location, burst 100, answered at once');
  const server = /\n    server \{\n([\s\S]*?)\n        location /.exec(limited)?.[1] ?? '';
  t.match(server, /^\s*error_page 429 = @too_many;/m, "nginx's own 429 goes to @too_many, from every location");
  t.match(server, /^\s*error_page 503 = @too_many_requests_open;/m, "nginx's own 503 (limit_conn) to @too_many_requests_open");
  t.match(server, /^\s*limit_conn requests_per_address 128;/m, 'at most 128 requests in progress per address');
  t.notMatch(limited, /^\s{12}error_page /m, 'no location has an error_page of its own (it would drop the server ones there)');
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
  // No exempt address: this test's requests come from 127.0.0.1, which `up` exempts by default.
  const nginx = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]), ipRate: 1, ipBurst: 0, workerProcesses: 2, rateExempt: [] });
  t.teardown(() => nginx.stop());
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await httpRequest(nginx.port, `/buy/ticket?user=u${i}`));
  t.same(answers.map((a) => a.status), [200, 429, 429, 429, 429], 'one passes, the rest are refused (the zone is shared by both workers)');
  t.equal(node.seen.length, 1, 'refused purchases never reach a node');
  const refused = answers[1];
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

/** nginx's own refusal: the status, Retry-After 1, X-Served-By nginx and the nodes' error JSON. */
function refusedByNginx(t: Test, a: { status: number; headers: Record<string, string | string[] | undefined>; body: string }, status: 429 | 503, what: RegExp, label: string): void {
  t.equal(a.status, status, `${label}: ${status}`);
  t.equal(a.headers['retry-after'], '1', `${label}: Retry-After 1`);
  t.equal(a.headers['x-served-by'], 'nginx', `${label}: answered by nginx`);
  t.match(a.headers['content-type'], /^application\/json/, `${label}: JSON`);
  const body = JSON.parse(a.body) as { code: number; msg: string; error: string; data: unknown };
  t.match(body, { code: status, error: status === 429 ? 'RATE_LIMITED' : 'TOO_MANY_OPEN_REQUESTS', data: { limit: 'address', retryAfterMs: 1000 } }, `${label}: the nodes' error shape`);
  t.match(body.msg, what, `${label}: says what was limited`);
}

// The numbers in nginx/nginx.conf (their reasons are written there): rate a second, burst at once.
const READ_LIMITS = [
  { path: '/orders/S.x', rate: 20, burst: 50, what: /order requests/ },
  { path: '/tickets/S.x', rate: 20, burst: 50, what: /ticket requests/ },
  { path: '/admin/sales', rate: 5, burst: 20, what: /admin requests/ },
  { path: '/queue/S/status', rate: 50, burst: 90, what: /waiting-room requests/ },
  { path: '/queue/S/join', rate: 5, burst: 50, what: /waiting-room requests/ },
];

t.test('/orders/, /tickets/, /admin/, /queue/ (polls, joins): each its own per-address limit, 429 from nginx over it; an exempt address is never limited', async (t) => {
  const node = await standIn('n');
  t.teardown(() => closeAll([node]));
  const limitedNginx = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]), rateExempt: [] });
  const exemptNginx = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]) });
  t.teardown(async () => {
    await limitedNginx.stop();
    await exemptNginx.stop();
  });
  for (const { path, rate, burst, what } of READ_LIMITS) {
    // GETs and POSTs at once, alternating: if a POST (pay, cancel, check-in) had a limit of its own, more
    // than one burst would get through.
    const count = burst + 30;
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: count }, (_, i) => httpRequest(limitedNginx.port, path, i % 2 === 0 ? {} : { method: 'POST', body: '{}' })),
    );
    const elapsed = Date.now() - started;
    const served = answers.filter((a) => a.status === 200).length;
    const most = burst + 1 + Math.ceil((elapsed / 1000) * rate) + 1;
    t.ok(served >= burst + 1 && served <= most, `${path}: ${served} of ${count} GETs and POSTs at once reached the node (one burst of ${burst} + the first, ${rate}/s over ${elapsed} ms)`);
    const refused = answers.filter((a) => a.status !== 200);
    t.equal(refused.length, count - served, `${path}: the rest refused`);
    refusedByNginx(t, refused[0], 429, what, path);
  }
  t.equal((await httpRequest(limitedNginx.port, '/buy/ticket?user=b')).status, 200, 'purchases have their own zone (and none here: ipRate 0)');
  const reads = await Promise.all(Array.from({ length: 100 }, () => httpRequest(limitedNginx.port, '/sales/demo')));
  t.ok(reads.every((a) => a.status === 200), '100 reads of /sales/demo at once: none limited (location / has no limit_req)');

  for (const { path, burst } of READ_LIMITS) {
    const answers = await Promise.all(Array.from({ length: burst + 30 }, () => httpRequest(exemptNginx.port, path)));
    t.ok(answers.every((a) => a.status === 200), `${path} from 127.0.0.1 with the default exempt list: all ${burst + 30} reached the node`);
  }
});

t.test('requests in progress per address: over 128 answered 503 by nginx at once; an exempt address is not counted', async (t) => {
  const node = await standIn('n');
  t.teardown(() => closeAll([node]));
  const limitedNginx = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]), rateExempt: [] });
  const exemptNginx = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]) });
  t.teardown(async () => {
    await limitedNginx.stop();
    await exemptNginx.stop();
  });
  for (const [nginx, label] of [[limitedNginx, 'limited'], [exemptNginx, 'exempt']] as const) {
    node.seen.length = 0;
    // 140 requests the node holds unanswered: they stay in progress at nginx until release().
    const answers = Array.from({ length: 140 }, () => httpRequest(nginx.port, '/slow', { timeoutMs: 10_000 }));
    const expected = label === 'limited' ? 128 : 140;
    const deadline = Date.now() + 5000;
    while (node.held.length < expected && Date.now() < deadline) await sleep(20);
    await sleep(200);
    t.equal(node.held.length, expected, `${label}: ${expected} requests reached the node and are in progress`);
    node.release();
    const done = await Promise.all(answers);
    const refused = done.filter((a) => a.status !== 200);
    t.equal(refused.length, 140 - expected, `${label}: ${140 - expected} refused`);
    if (refused.length > 0) refusedByNginx(t, refused[0], 503, /requests in progress/, 'the 129th');
  }
});

t.test('X-Forwarded-For names the client only when a trusted proxy sent it; each client its own limit', async (t) => {
  const node = await standIn('n');
  t.teardown(() => closeAll([node]));
  const nginx = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]), ipRate: 1, ipBurst: 0, rateExempt: [], trustedProxies: ['127.0.0.1'] });
  const plain = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]) });
  t.teardown(async () => {
    await nginx.stop();
    await plain.stop();
  });
  const clientOf = async (port: number, localAddress: string, forwardedFor?: string) => {
    await requestFrom(port, '/sales/demo', { localAddress, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } });
    return node.seen.at(-1)?.realIp;
  };
  t.equal(await clientOf(nginx.port, '127.0.0.1', '203.0.113.7'), '203.0.113.7', 'from the trusted proxy: the address it forwarded');
  t.equal(await clientOf(nginx.port, '127.0.0.1', '198.51.100.9, 203.0.113.7'), '203.0.113.7', 'the rightmost untrusted one: a client cannot prepend its own');
  t.equal(await clientOf(nginx.port, '127.0.0.1', '203.0.113.7, 127.0.0.1'), '203.0.113.7', 'trusted hops are skipped (real_ip_recursive)');
  t.equal(await clientOf(nginx.port, '127.0.0.2', '203.0.113.7'), '127.0.0.2', 'from a peer that is not trusted: the header is ignored, the peer is the client');
  t.equal(await clientOf(plain.port, '127.0.0.1', '203.0.113.7'), '127.0.0.1', 'no trusted proxy: the header is ignored');

  const buy = (localAddress: string, forwardedFor: string) => requestFrom(nginx.port, '/buy/ticket', { localAddress, headers: { 'x-forwarded-for': forwardedFor } });
  const a = [await buy('127.0.0.1', '203.0.113.1'), await buy('127.0.0.1', '203.0.113.1')];
  t.same(a.map((x) => x.status), [200, 429], 'client A through the proxy: rate 1, burst 0 — its second purchase is refused');
  t.equal((await buy('127.0.0.1', '203.0.113.2')).status, 200, 'client B through the same proxy, at the same moment: its own limit');
  const untrusted = [await buy('127.0.0.2', '203.0.113.3'), await buy('127.0.0.2', '203.0.113.4')];
  t.same(untrusted.map((x) => x.status), [200, 429], 'an untrusted peer naming a new address each time is still one client');
});

t.test('slow clients: a request header not complete within 5 s is dropped', async (t) => {
  const node = await standIn('n');
  t.teardown(() => closeAll([node]));
  const nginx = await NginxProcess.start({ upstreams: upstreamsOf([node], [1]) });
  t.teardown(() => nginx.stop());
  const started = Date.now();
  const closedAfter = await new Promise<number>((resolve, reject) => {
    const socket = connect(nginx.port, '127.0.0.1', () => socket.write('GET /sales/demo HTTP/1.1\r\nHost: x\r\n'));
    socket.on('error', () => {}); // reset_timedout_connection: a RST
    socket.on('close', () => resolve(Date.now() - started));
    setTimeout(() => reject(new Error('still open after 9 s')), 9000).unref();
  });
  t.ok(closedAfter >= 4500 && closedAfter <= 7500, `closed after ${closedAfter} ms (client_header_timeout 5s; nginx's default is 60 s)`);
  t.equal(node.seen.length, 0, 'the node never saw it');
});
