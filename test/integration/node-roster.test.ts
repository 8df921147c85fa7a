/**
 * Issue 20: nodes joining and leaving during a sale move the weighted split of the stock without a restart; an
 * operator's weight takes effect at the node's next beat; the front host's nginx config is rendered from the
 * live roster. Real Redis, real nodes, real nginx -t.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { NodeProcess } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';

const TOTAL = 1000;
let server: RedisServer;
let redis: Redis | Cluster;
const nodes: NodeProcess[] = [];
const prefix = mkdtempSync(join(tmpdir(), 'ts-roster-nginx-'));

t.before(async () => {
  server = await RedisServer.start();
  redis = await connectRedisReady(server.url);
  await new SaleEngine(redis).createSale({ id: 'ROS', total: TOTAL, perUserLimit: 1, holdSeconds: 300, anonymous: true });
});
t.teardown(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  redis.disconnect();
  await server.stop();
  rmSync(prefix, { recursive: true, force: true });
});

async function start(id: string, weight: number, extra: string[] = []): Promise<NodeProcess> {
  const node = await NodeProcess.start({
    redisUrl: server.url,
    threads: 1,
    args: ['--id', id, '--weight', String(weight), '--roster-ms', '200', '--reconcile-ms', '100', '--quota-buffer', '0', ...extra],
  });
  nodes.push(node);
  return node;
}

/** The node's local quota for ROS, read from its /metrics. */
async function quota(node: NodeProcess): Promise<number> {
  const res = await fetch(`${node.url}/metrics`);
  const m = /ticket_spike_sale_local_quota\{sale="ROS",node="[^"]+"\} (\d+)/.exec(await res.text());
  return m === null ? -1 : Number(m[1]);
}

/** Waits (up to 5 s) for the quota to become `want`; returns the last value seen. */
async function settles(node: NodeProcess, want: number): Promise<number> {
  let seen = -1;
  for (let i = 0; i < 100; i++) {
    seen = await quota(node);
    if (seen === want) return seen;
    await sleep(50);
  }
  return seen;
}

const share = (weight: number, total: number) => Math.ceil((TOTAL * weight) / total);

t.test('the split follows the live nodes and the operator', async (t) => {
  const a = await start('A', 1);
  const b = await start('B', 3);
  t.equal(await settles(a, share(1, 4)), 250, 'A: 1 of 4');
  t.equal(await settles(b, share(3, 4)), 750, 'B: 3 of 4');

  const listed = await runCli(['nodes', 'list', '--json', '--redis', server.url]);
  t.equal(listed.code, 0, listed.stderr);
  const { nodes: roster } = JSON.parse(listed.stdout) as { nodes: { id: string; weight: number; address: string; setWeight: number | null }[] };
  t.same(roster.map((n) => [n.id, n.weight, n.address, n.setWeight]), [['A', 1, `127.0.0.1:${a.port}`, null], ['B', 3, `127.0.0.1:${b.port}`, null]]);

  const set = await runCli(['nodes', 'weight', '--node', 'A', '--weight', '3', '--redis', server.url]);
  t.equal(set.code, 0, set.stderr);
  t.equal(await settles(a, share(3, 6)), 500, "the operator's weight: A 3 of 6, no restart");
  t.equal(await settles(b, share(3, 6)), 500, 'and B follows');

  const c = await start('C', 2);
  t.equal(await settles(a, share(3, 8)), 375, 'C joined: A 3 of 8');
  t.equal(await settles(c, share(2, 8)), 250, 'C 2 of 8');

  t.equal(await c.stop(), 0, 'C drains and leaves');
  t.equal(await settles(a, share(3, 6)), 500, 'C left the roster at its stop: back to 3 of 6');

  b.child.kill('SIGKILL');
  t.equal(await settles(a, TOTAL), TOTAL, "B died: its entry expires (3 beats) and A's share is everything");

  const cleared = await runCli(['nodes', 'weight', '--node', 'A', '--clear', '--redis', server.url]);
  t.equal(cleared.code, 0, cleared.stderr);
  const again = await runCli(['nodes', 'list', '--json', '--redis', server.url]);
  t.same((JSON.parse(again.stdout) as { nodes: { id: string; weight: number }[] }).nodes.map((n) => [n.id, n.weight]), [['A', 1]], 'A back to its own --weight');
});

t.test('--total-weight pins the split: the roster does not move it', async (t) => {
  const d = await start('D', 1, ['--total-weight', '10']);
  t.equal(await settles(d, share(1, 10)), 100, 'D: 1 of the fixed 10');
  await sleep(600);
  t.equal(await quota(d), 100, 'still 1 of 10 after three beats');
  await d.stop();
});

t.test('nginx-conf renders the front host from the roster, and refuses what is not an address', async (t) => {
  const a = nodes[0]; // A, alive since the first test, back to its own weight 1
  await start('F', 5, ['--advertise', '127.0.0.1:65000']);
  const written = await runCli(['nginx-conf', '--from-roster', '--prefix', prefix, '--listen', '127.0.0.1:18080', '--nginx', '/usr/sbin/nginx', '--redis', server.url]);
  t.equal(written.code, 0, `${written.stdout}${written.stderr}`);
  t.notMatch(written.stderr, /not tested/, 'nginx -t ran on it');
  const conf = readFileSync(join(prefix, 'nginx.conf'), 'utf8');
  t.match(conf, new RegExp(`server 127\\.0\\.0\\.1:${a.port} weight=1 `), 'A at its address and weight');
  t.match(conf, /server 127\.0\.0\.1:65000 weight=5 /, "F at its --advertise address");
  t.match(conf, /listen 127\.0\.0\.1:18080/);
  t.notMatch(conf, /weight=3 /, 'the dead B (weight 3) is not listed');

  const listed = await runCli(['nginx-conf', '--upstreams', '10.1.0.2:3001=1,10.1.0.3:3001=4', '--prefix', prefix, '--nginx', '/usr/sbin/nginx']);
  t.equal(listed.code, 0, listed.stderr);
  t.match(readFileSync(join(prefix, 'nginx.conf'), 'utf8'), /server 10\.1\.0\.3:3001 weight=4 /);

  for (const bad of ['10.1.0.2:3001;include /etc/passwd', '10.1.0.2', '10.1.0.2:3001=0', 'a b:1']) {
    const refused = await runCli(['nginx-conf', '--upstreams', bad, '--prefix', prefix]);
    t.equal(refused.code, 2, `refused: ${bad}`);
    t.match(refused.stderr, /--upstreams/);
  }
  const junk = await runCli(['node', '--advertise', 'x;y:1', '--redis', server.url]);
  t.equal(junk.code, 2, 'a node refuses an --advertise that is not host:port');
  t.match(junk.stderr, /--advertise.*host:port/);
});
