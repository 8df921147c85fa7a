// What a crashed `up` left running is recognised by pid AND cmdline: a recycled pid that now runs something
// else is never signalled; a match is stopped by its policy. Uses `sleep` processes as stand-ins.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { inspectChildren, recordedChildren, stopLeftovers } from '../../src/launcher/leftovers.js';
import { cmdlineMatches, isAlive, waitGone } from '../../src/launcher/proc.js';
import type { ChildRecord } from '../../src/launcher/children.js';
import { acquireUpLock, parseState, type UpState } from '../../src/launcher/state.js';

t.test('cmdline fragments match whole words only', async (t) => {
  const redis = '/usr/bin/redis-server 127.0.0.1:6380';
  t.ok(cmdlineMatches(redis, ['redis-server', '127.0.0.1:6380']), 'binary by its base name, the port in the title');
  t.notOk(cmdlineMatches('/usr/bin/redis-server 127.0.0.1:63801', ['redis-server', '127.0.0.1:6380']), 'not a longer port');
  t.notOk(cmdlineMatches(redis, ['redis-server', '127.0.0.1:6381']), 'not another port');
  t.notOk(cmdlineMatches('/usr/bin/my-redis-server 127.0.0.1:6380', ['redis-server', '127.0.0.1:6380']), 'not a longer name');
  const nginx = 'nginx: master process /usr/sbin/nginx -p /v/nginx -c /v/nginx/nginx.conf -e /v/nginx/error.log';
  t.ok(cmdlineMatches(nginx, ['nginx', '-p /v/nginx -c /v/nginx/nginx.conf']));
  t.notOk(cmdlineMatches(nginx, ['nginx', '-p /w/nginx -c /w/nginx/nginx.conf']), "another var dir's nginx");
  t.notOk(cmdlineMatches('', ['nginx']), 'a gone process matches nothing');
  t.notOk(cmdlineMatches(nginx, []), 'no fragments, no match');
});

const quiet = pino({ level: 'silent' });

/** A `sleep 30` child, returned once it runs sleep: right after spawn its /proc cmdline is still node's (not exec'd yet). */
async function sleeper(t: { teardown: (fn: () => void) => void }): Promise<ChildProcess> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  for (let i = 0; i < 200 && readCmdline(child.pid as number) !== 'sleep 30'; i++) await new Promise((r) => setTimeout(r, 10));
  return child;
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

t.test('a recorded pid that now runs something else is left alone', async (t) => {
  const other = await sleeper(t);
  const pid = other.pid as number;
  const record: ChildRecord = { role: 'redis', name: 'redis', pid, cmdlineHas: ['redis-server', '127.0.0.1:6380'], upPid: 1 };
  const { ours, foreign } = inspectChildren([record]);
  t.same(ours, [], 'not ours');
  t.equal(foreign[0]?.cmdline, 'sleep 30', 'named as what it is now');
  // Even handed to the stopper directly, it re-reads /proc before signalling.
  const stuck = await stopLeftovers([record], quiet);
  t.same(stuck, [], 'not stuck either: simply not ours');
  t.ok(isAlive(pid), 'the recycled pid was not killed');
});

t.test('a recorded pid with its cmdline is stopped by its signal', async (t) => {
  const child = await sleeper(t);
  const pid = child.pid as number;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const record: ChildRecord = { role: 'nginx', name: 'nginx', pid, cmdlineHas: ['sleep', '30'], upPid: 1 };
  t.same(inspectChildren([record]).ours, [record], 'ours');
  t.same(await stopLeftovers([record], quiet), []);
  t.equal(await exited, 'SIGQUIT', "nginx's graceful signal");
  t.ok(await waitGone(pid, 1000), 'gone');
});

t.test('a stopped (SIGSTOP) leftover is continued after its signal, so it acts on it', async (t) => {
  // A stand-in that handles the signal, as node, Redis and nginx do: a stopped process keeps a handled signal
  // pending until continued (an unhandled fatal one would kill it even while stopped).
  const child = spawn('sh', ['-c', 'trap "exit 7" QUIT; echo trapped; while :; do sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const pid = child.pid as number;
  // Signalled before its trap is set, it would die of the signal itself.
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  process.kill(pid, 'SIGSTOP');
  const record: ChildRecord = { role: 'nginx', name: 'nginx', pid, cmdlineHas: ['sh', '-c'], upPid: 1 };
  const started = Date.now();
  t.same(await stopLeftovers([record], quiet), []);
  t.equal(await exited, 7, 'ended by its handler of the graceful signal, not by the SIGKILL after the timeout');
  t.ok(Date.now() - started < 4000, `well within the 5 s before SIGKILL (${Date.now() - started} ms)`);
});

t.test('the lock hands back the stale up.json, and its children in stop order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-leftovers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dead = spawnSync('true').pid;
  const stale: UpState = {
    pid: dead, status: 'running', startedAt: '2020-01-01T00:00:00Z', varDir: dir,
    // In start order, as up writes them.
    children: [
      { role: 'watchdog', name: 'watchdog', pid: 14, cmdlineHas: ['watchdog-main.ts'], upPid: dead },
      { role: 'redis', name: 'redis', pid: 11, cmdlineHas: ['redis-server', '127.0.0.1:6380'], upPid: dead },
      { role: 'postgres', name: 'postgres', pid: 16, cmdlineHas: ['postgres', '-D /d'], upPid: dead },
      { role: 'node', name: 'node-3001', pid: 13, cmdlineHas: ['main.ts', 'node --port 3001'], upPid: dead, port: 3001, weight: 1 },
      { role: 'orders-worker', name: 'orders-worker-1', pid: 17, cmdlineHas: ['main.ts', 'orders-worker --consumer orders-worker-1'], upPid: dead },
      { role: 'nginx', name: 'nginx', pid: 12, cmdlineHas: ['nginx'], upPid: dead },
    ],
    leftovers: [{ role: 'redis', name: 'redis', pid: 15, cmdlineHas: ['redis-server'], upPid: 99 }],
  };
  writeFileSync(join(dir, 'up.json'), JSON.stringify(stale));
  const previous = acquireUpLock(dir, { pid: process.pid, status: 'starting', startedAt: new Date().toISOString(), varDir: dir, children: [] });
  t.equal(previous?.pid, dead, 'the dead up');
  t.same(
    recordedChildren(previous as UpState).map((r) => `${r.role}:${r.pid}:${r.upPid === dead ? 'up' : r.upPid}`),
    ['watchdog:14:up', 'nginx:12:up', 'node:13:up', 'orders-worker:17:up', 'redis:15:99', 'redis:11:up', 'postgres:16:up'],
    'watchdog, nginx, nodes, the workers after the nodes, Redis and PostgreSQL last; inherited leftovers kept with their own up',
  );
});

t.test('an up.json written before the list of children is read as one', async (t) => {
  const legacy = {
    pid: 4242, status: 'running', startedAt: '2020-01-01T00:00:00Z', varDir: '/v', redisUrl: 'redis://127.0.0.1:6380',
    redisPid: 11, redisCmdlineHas: ['redis-server', '127.0.0.1:6380'],
    postgresPid: 16, postgresCmdlineHas: ['postgres'],
    nginxPid: 12, nginxCmdlineHas: ['nginx'],
    nodes: [{ id: 'node-3001', port: 3001, weight: 1, pid: 13, cmdlineHas: ['main.ts', 'node --port 3001'] }, { id: 'node-3002', port: 3002, weight: 1 }],
    watchdogPid: 14, watchdogCmdlineHas: ['watchdog-main.ts'],
  };
  const state = parseState(JSON.stringify(legacy)) as UpState;
  t.equal(state.redisUrl, 'redis://127.0.0.1:6380', 'what other code reads is kept');
  t.same(
    recordedChildren(state).map((r) => `${r.role}:${r.name}:${r.pid}`),
    ['watchdog:watchdog:14', 'nginx:nginx:12', 'node:node-3001:13', 'redis:redis:11', 'postgres:postgres:16'],
    'every child with a pid, in stop order; a node without a pid is skipped',
  );
  t.same(parseState(JSON.stringify({ ...legacy, children: [{ role: 'replica', name: 'r', pid: 1, cmdlineHas: ['x'], upPid: 1 }] }))?.children, [], 'a role this up does not know is not guessed at');
});
