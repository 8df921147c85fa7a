// Rate limits with the real pieces: redis-server, `ticket-spike node` processes, nginx from the project's
// template, and `ticket-spike up`. Per buyer (the node's token buckets in shared memory), per client address
// (nginx's limit_req), both answered 429 + Retry-After + {"code":429,"error":"RATE_LIMITED",...}, and both off at 0.
import t from 'tap';
import type tap from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestFrom } from '../helpers/client-address.js';
import { NginxProcess } from '../helpers/nginx.js';
import { NodeProcess, http, keepAliveAgent, pool, type HttpAnswer } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';
import { UpProcess } from '../helpers/up-process.js';

const TOKEN = 'rate-limit-test-token';
const admin = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

/** A 429 in the nodes' error shape with Retry-After; `limit` says which limit answered. */
function isRateLimited(t: Pick<typeof tap, 'equal' | 'match'>, a: HttpAnswer, limit: 'buyer' | 'address', what: string): void {
  t.equal(a.status, 429, `${what}: 429`);
  t.equal(a.headers['retry-after'], '1', `${what}: Retry-After 1`);
  t.match(a.headers['content-type'] ?? '', /application\/json/, `${what}: JSON`);
  t.match(a.json, { code: 429, error: 'RATE_LIMITED', msg: String, data: { limit, retryAfterMs: Number } }, `${what}: the stable error code`);
}

t.test('rate limits: per buyer in the node, per address in nginx, both switchable off', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const quiet = ['--reconcile-ms', '0', '--sweep-ms', '0', '--refresh-ms', '0'];
  // Two threads each: the buckets are one table for the whole node, whichever thread a connection lands on.
  const [limited, open] = await Promise.all([
    NodeProcess.start({ redisUrl: redis.url, threads: 2, args: [...quiet, '--id', 'limited', '--buyer-rate', '1', '--buyer-burst', '3'], env: { ADMIN_TOKEN: TOKEN } }),
    NodeProcess.start({ redisUrl: redis.url, threads: 2, args: [...quiet, '--id', 'open', '--buyer-rate', '0'], env: { ADMIN_TOKEN: TOKEN } }),
  ]);
  t.teardown(() => Promise.all([limited.stop(), open.stop()]));
  const agent = keepAliveAgent(16);
  t.teardown(() => agent.destroy());
  const created = await http(agent, 'POST', `${limited.url}/admin/sales`, JSON.stringify({ id: 'RL', total: 100_000, perUserLimit: 1000, anonymous: true }), admin);
  t.equal(created.status, 201, `sale created: ${created.body}`);
  const buy = (base: string, user: string, key?: string) =>
    http(agent, 'GET', `${base}/buy/ticket?sale=RL${user === '' ? '' : `&user=${user}`}`, undefined, key === undefined ? {} : { 'idempotency-key': key });

  t.test('a buyer over the limit gets 429 + Retry-After; another buyer does not', async (t) => {
    const started = Date.now();
    // Ten at once, over two threads' connections: the node's one table admits the burst, no more.
    const answers = await pool(10, Array.from({ length: 10 }, (_, i) => () => buy(limited.url, 'bot', `bot-k${i}`)));
    const elapsed = Date.now() - started;
    const admitted = answers.filter((a) => a.status === 200 && a.json?.code === 1);
    const refused = answers.filter((a) => a.status === 429);
    t.ok(admitted.length >= 3 && admitted.length <= 3 + Math.floor(elapsed / 1000), `${admitted.length} admitted in ${elapsed} ms (burst 3 at 1/s)`);
    t.equal(admitted.length + refused.length, 10, 'every other one refused');
    isRateLimited(t, refused[0], 'buyer', 'the node');
    t.equal(refused[0].headers['x-served-by'], 'limited', 'answered by the node');
    const alice = await buy(limited.url, 'alice');
    t.equal(alice.json?.code, 1, 'alice, at the same moment: bought');
    const anonymous = await pool(10, Array.from({ length: 10 }, () => () => buy(limited.url, '')));
    t.ok(anonymous.every((a) => a.json?.code === 1), 'anonymous buyers are not limited by the node (nginx limits them per address)');

    // Replays count, but a refusal records nothing: after Retry-After the same key gets the same order back.
    const firstKey = answers.findIndex((a) => a.json?.code === 1);
    await sleep(1100);
    const replay = await buy(limited.url, 'bot', `bot-k${firstKey}`);
    t.equal(replay.json?.code, 1, 'after Retry-After, the same Idempotency-Key: the order');
    t.match(replay.json?.data, { replayed: true, orderId: (admitted[0].json?.data as { orderId: string }).orderId }, 'the same order, replayed');
    const refusedKey = answers.findIndex((a) => a.status === 429);
    await sleep(1100);
    const later = await buy(limited.url, 'bot', `bot-k${refusedKey}`);
    t.match(later.json, { code: 1, data: { replayed: false } }, "a refused key was never recorded: it buys now, as a new purchase");
  });

  t.test("the node's 429 passes through nginx untouched", async (t) => {
    const nginx = await NginxProcess.start({ upstreams: [{ host: '127.0.0.1', port: limited.port, weight: 1 }] });
    t.teardown(() => nginx.stop());
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await buy(nginx.url, 'bot2'));
    const refused = answers.find((a) => a.status === 429);
    t.ok(refused, 'the buyer is refused through nginx too');
    isRateLimited(t, refused!, 'buyer', 'through nginx');
    t.equal(refused!.headers['x-served-by'], 'limited', 'the node answered it, not nginx');
  });

  t.test('nginx: one address over its rate gets 429 + Retry-After + the JSON, reads are not limited', async (t) => {
    // No exempt address: this test is 127.0.0.1, which nginx leaves alone by default (ab and wrk run here).
    const nginx = await NginxProcess.start({ upstreams: [{ host: '127.0.0.1', port: open.port, weight: 1 }], ipRate: 1, ipBurst: 2, rateExempt: [] });
    t.teardown(() => nginx.stop());
    const answers = [];
    // One at a time from 127.0.0.1, new buyers each (so only the address can be what limits them).
    for (let i = 0; i < 8; i++) answers.push(await buy(nginx.url, `walker${i}`));
    const served = answers.filter((a) => a.status === 200);
    t.ok(served.length >= 3 && served.length <= 4, `${served.length} of 8 reached a node (rate 1/s + burst 2)`);
    t.ok(served.every((a) => a.headers['x-served-by'] === 'open'), '...and were answered by it');
    const refused = answers.filter((a) => a.status === 429);
    t.equal(refused.length, 8 - served.length, 'the rest: 429');
    isRateLimited(t, refused[0], 'address', 'nginx');
    t.equal(refused[0].headers['x-served-by'], 'nginx', 'answered by nginx, no node saw it');
    const post = await http(agent, 'POST', `${nginx.url}/buy/ticket`, JSON.stringify({ user: 'poster', sale: 'RL' }), { 'content-type': 'application/json' });
    t.equal(post.status, 429, 'POST purchases share the limit');
    const reads = await pool(5, Array.from({ length: 20 }, () => () => http(agent, 'GET', `${nginx.url}/sales/RL`)));
    t.ok(reads.every((a) => a.status === 200), 'GET /sales/RL twenty times: all 200 (sale reads have no rate limit)');
  });

  t.test('both limits off (0): one buyer and one address are never refused', async (t) => {
    // rateExempt []: it is the 0 that lets 127.0.0.1 through, not the exempt list.
    const nginx = await NginxProcess.start({ upstreams: [{ host: '127.0.0.1', port: open.port, weight: 1 }], ipRate: 0, rateExempt: [] });
    t.teardown(() => nginx.stop());
    t.notMatch(readFileSync(nginx.confFile, 'utf8'), /^\s*limit_req(_zone)? .*zone=per_address\b/m, 'no purchase limit_req or limit_req_zone line in the rendered config');
    const answers = await pool(10, Array.from({ length: 60 }, () => () => buy(nginx.url, 'bot')));
    t.same([...new Set(answers.map((a) => `${a.status} ${a.json?.code}`))], ['200 1'], '60 purchases by one buyer from one address at once: all bought');
  });
});

t.test('up: --ip-rate/--ip-burst/--ip-rate-exempt/--trusted-proxy reach nginx, --buyer-rate/--buyer-burst every node', { timeout: 60_000 }, async (t) => {
  const up = await UpProcess.start({
    nodes: 1,
    args: ['--ip-rate', '1', '--ip-burst', '1', '--ip-rate-exempt', 'none', '--trusted-proxy', '127.0.0.1', '--buyer-rate', '1', '--buyer-burst', '2'],
  });
  t.teardown(() => up.killAll());
  const conf = readFileSync(join(up.varDir, 'nginx', 'nginx.conf'), 'utf8');
  t.match(conf, /limit_req_zone \$limit_key zone=per_address:10m rate=1r\/s;/, 'the zone at 1 r/s');
  t.match(conf, /limit_req zone=per_address burst=1 nodelay;/, 'burst 1');
  t.match(conf, /geo \$limit_exempt \{\s+default 0;\s+#[^\n]*\n\s+\}/, '--ip-rate-exempt none: no exempt address');
  t.match(conf, /^\s*set_real_ip_from 127\.0\.0\.1;\s+real_ip_header X-Forwarded-For;/m, '--trusted-proxy 127.0.0.1');
  t.match(up.stdout, /per address \(nginx\): \/buy\/ticket 1 r\/s \+ burst 1;[^\n]*\n\s+exempt from them \(--ip-rate-exempt\): none/, 'the summary says so (address)');
  t.match(up.stdout, /per buyer \(nodes\): 1\/s \+ burst 2;/, 'the summary says so (buyer)');
  t.match(up.stdout, /client address: from X-Forwarded-For when sent by 127\.0\.0\.1 \(--trusted-proxy\)/, 'the summary names the trusted proxy');
  const agent = keepAliveAgent(4);
  t.teardown(() => agent.destroy());
  const viaNginx = [];
  for (let i = 0; i < 4; i++) viaNginx.push(await http(agent, 'GET', `${up.url}/buy/ticket?user=n${i}`));
  const refusedByNginx = viaNginx.find((a) => a.status === 429);
  t.ok(refusedByNginx, `loopback, not exempt: the 429s are back: ${viaNginx.map((a) => a.status).join(' ')}`);
  isRateLimited(t, refusedByNginx!, 'address', 'up nginx');
  t.equal(refusedByNginx!.headers['x-served-by'], 'nginx', 'refused by nginx');

  // Behind a balancer (here: 127.0.0.1, trusted) every buyer has the balancer's TCP address; X-Forwarded-For
  // tells them apart. A new anonymous buyer each time, so only the address can limit them.
  const forwarded = (client: string, localAddress = '127.0.0.1') =>
    requestFrom(up.port, '/buy/ticket', { localAddress, headers: { 'x-forwarded-for': client } });
  const clientA = [];
  for (let i = 0; i < 4; i++) clientA.push(await forwarded('203.0.113.10'));
  t.ok(clientA.some((a) => a.status === 429), `client A exhausted its limit: ${clientA.map((a) => a.status).join(' ')}`);
  const clientB = await forwarded('203.0.113.20');
  t.equal(clientB.status, 200, 'client B, forwarded by the same balancer at the same moment: still gets through');
  t.equal(JSON.parse(clientB.body).code, 1, '...and buys');
  // 127.0.0.2 is this machine too, but not a trusted proxy: its X-Forwarded-For is ignored.
  const untrusted = [];
  for (let i = 0; i < 4; i++) untrusted.push(await forwarded(`198.51.100.${i + 1}`, '127.0.0.2'));
  t.ok(untrusted.some((a) => a.status === 429), `an untrusted peer naming a new address each time is one client: ${untrusted.map((a) => a.status).join(' ')}`);
  const node = `http://127.0.0.1:${up.portBase}`;
  const direct = [];
  for (let i = 0; i < 4; i++) direct.push(await http(agent, 'GET', `${node}/buy/ticket?user=bot&sale=demo`, undefined, { 'idempotency-key': `up-k${i}` }));
  t.same(direct.map((a) => a.status), [200, 200, 429, 429], 'straight at the node: burst 2, then 429');
  isRateLimited(t, direct[2], 'buyer', 'up node');
  const exit = await up.stop();
  t.equal(exit.code, 0, 'stops cleanly');
});
