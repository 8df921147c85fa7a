// A node and an order worker check the Redis they are given at start (issue 18, part 4): maxmemory-policy must be
// noeviction and appendonly yes, else they exit 2 naming the setting and its fix; --allow-unsafe-redis runs anyway
// with a warning; appendfsync is logged. A Redis that is not reachable at start is no refusal: the node starts,
// and refuses it once it answers. Where CONFIG is renamed the settings come from INFO; on a Cluster every master
// is read. Real redis-server children (test/helpers), the node and the worker as real processes from dist/.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import type { Cluster, Redis } from 'ioredis';
import { connectRedisReady } from '../../src/redis/connection.js';
import { judgeSettings, readSettings } from '../../src/redis/settings-check.js';
import { freePort } from '../helpers/free-port.js';
import { NodeProcess } from '../helpers/node-process.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { cliArgs } from '../helpers/cli-entry.js';
import { childEnv } from '../helpers/env.js';
import { RedisServer } from '../helpers/redis-server.js';

const FAST = ['--appendfsync', 'no'];

/**
 * `ticket-spike <args>` to its exit, bounded: a build that does not refuse (and so keeps running) is killed by
 * pid at `timeoutMs` or at the test's end, and answers code 'running'.
 */
async function runToExit(t: Test, args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<{ code: number | 'running'; output: string }> {
  const child = spawn(process.execPath, cliArgs(args), { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), timeoutMs)))]);
  clearTimeout(timer);
  return { code, output };
}

async function nodeAgainst(t: Test, redisUrl: string) {
  const port = await freePort();
  return runToExit(t, ['node', '--port', String(port), '--threads', '1', '--redis', redisUrl, '--log-level', 'warn']);
}

t.test('a node refuses a Redis that may evict: exit 2 naming maxmemory-policy and the fix', async (t) => {
  const redis = await RedisServer.start({ args: [...FAST, '--maxmemory-policy', 'allkeys-lru'] });
  t.teardown(() => redis.stop());
  const run = await nodeAgainst(t, redis.url);
  t.equal(run.code, 2, 'exit 2');
  t.match(run.output, /maxmemory-policy allkeys-lru, not noeviction/);
  t.match(run.output, /CONFIG SET maxmemory-policy noeviction/, 'says how to fix it');
  t.match(run.output, /--allow-unsafe-redis/, 'and how to run anyway');
});

t.test('a node refuses a Redis without an AOF: exit 2 naming appendonly', async (t) => {
  const redis = await RedisServer.start({ args: ['--appendonly', 'no'] });
  t.teardown(() => redis.stop());
  const run = await nodeAgainst(t, redis.url);
  t.equal(run.code, 2, 'exit 2');
  t.match(run.output, /appendonly no, not yes/);
  t.notMatch(run.output, /maxmemory-policy \S+, not/, 'only the setting that is wrong');
});

t.test('--allow-unsafe-redis: the node starts on it, with a warning; appendfsync is logged', async (t) => {
  const redis = await RedisServer.start({ args: [...FAST, '--maxmemory-policy', 'allkeys-lru'] });
  t.teardown(() => redis.stop());
  const node = await NodeProcess.start({ redisUrl: redis.url, threads: 1, args: ['--allow-unsafe-redis', '--log-level', 'info'] });
  t.teardown(() => node.stop());
  const res = await fetch(`${node.url}/readyz`);
  await res.arrayBuffer();
  t.equal(res.status, 200, 'serving');
  const warning = node.output.split('\n').find((line) => line.includes('running on an unsafe Redis'));
  t.ok(warning, 'a warning');
  t.match(warning, /"level":40/, 'logged as a warning');
  t.match(warning, /maxmemory-policy allkeys-lru/);
  t.match(node.output, /"appendfsync":"no"/, 'appendfsync logged');
  t.equal(await node.stop(), 0, 'stops cleanly');
});

t.test('Redis down at start is no refusal: the node starts, and refuses it once it answers unsafe', async (t) => {
  const port = await freePort();
  const node = await NodeProcess.start({ redisUrl: `redis://127.0.0.1:${port}`, threads: 1, waitReady: false });
  t.teardown(() => node.stop());
  const ready = await fetch(`${node.url}/readyz`);
  await ready.arrayBuffer();
  t.equal(ready.status, 503, 'listening, Redis not ready');
  const redis = await RedisServer.start({ port, args: [...FAST, '--maxmemory-policy', 'volatile-lru'] });
  t.teardown(() => redis.stop());
  const code = await Promise.race([node.wait(), new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref())]);
  t.equal(code, 2, 'exit 2 once Redis answered');
  t.match(node.output, /maxmemory-policy volatile-lru, not noeviction/);
});

t.test('the order worker refuses an unsafe Redis before it needs PostgreSQL: exit 2', async (t) => {
  const redis = await RedisServer.start({ args: [...FAST, '--maxmemory-policy', 'allkeys-lfu'] });
  t.teardown(() => redis.stop());
  // Nothing listens on port 1: the refusal comes before the worker asks PostgreSQL anything.
  const run = await runToExit(t, ['orders-worker', '--redis', redis.url, '--log-level', 'warn'], { DATABASE_URL: 'postgresql://u@127.0.0.1:1/none' });
  t.equal(run.code, 2, 'exit 2');
  t.match(run.output, /maxmemory-policy allkeys-lfu, not noeviction/);
});

t.test('CONFIG renamed away (managed Redis): the settings come from INFO, appendfsync is unknown', async (t) => {
  const unsafe = await RedisServer.start({ args: [...FAST, '--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', ''] });
  t.teardown(() => unsafe.stop());
  const safe = await RedisServer.start({ args: [...FAST, '--rename-command', 'CONFIG', ''] });
  t.teardown(() => safe.stop());
  for (const [server, kind] of [[unsafe, 'unsafe'], [safe, 'safe']] as const) {
    const client = (await connectRedisReady(server.url)) as Redis;
    t.teardown(() => client.disconnect());
    const settings = await readSettings(client);
    t.match(settings, [{ source: 'info', appendfsync: null, appendonly: 'yes' }]);
    t.equal(judgeSettings(settings).kind, kind, kind);
  }
});

t.test('Redis Cluster: every master is read, one unsafe master is named', async (t) => {
  const cluster = await RedisCluster.start(3);
  t.teardown(() => cluster.stop());
  const client = (await connectRedisReady({ cluster: cluster.nodes })) as Cluster;
  t.teardown(() => client.disconnect());
  const bad = client.nodes('master')[1];
  await bad.config('SET', 'maxmemory-policy', 'allkeys-random');
  const settings = await readSettings(client);
  t.equal(settings.length, 3, 'three masters read');
  const verdict = judgeSettings(settings);
  t.equal(verdict.kind, 'unsafe');
  if (verdict.kind !== 'unsafe') return;
  t.same(verdict.problems, [{ server: `${bad.options.host}:${bad.options.port}`, setting: 'maxmemory-policy', value: 'allkeys-random' }]);
});
