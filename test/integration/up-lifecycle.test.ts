// `ticket-spike up` refusals and shutdown, the e-ticket key directory it makes, and what it keeps private: a second `up` on the same var
// dir, a busy port, SIGTERM leaving no process and no state file behind; the embedded Redis's password and the var dir's modes.
import t from 'tap';
import { createServer } from 'node:net';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { childrenOf } from '../../src/launcher/children.js';
import { readUpStateIn } from '../../src/launcher/state.js';
import { alive, descendants, removeVarDir, UpProcess } from '../helpers/up-process.js';
import { freePort } from '../helpers/free-port.js';
import { runCli, runCommand } from '../helpers/run-cli.js';

const noStack = (text: string) => !/\n\s+at /.test(text);

t.test('up lifecycle', { timeout: 120_000 }, async (t) => {
  // A var dir anyone may enter, as a mkdir under umask 022 makes it: up makes it private.
  const varDir = mkdtempSync(join(tmpdir(), 'ts-up-life-'));
  chmodSync(varDir, 0o755);
  const up = await UpProcess.start({ nodes: 2, args: ['--weights', '1,3'], varDir });
  t.teardown(() => {
    up.killAll();
    removeVarDir(varDir);
  });

  t.test('up.json says where everything is; readUpState finds it', async (t) => {
    const s = readUpStateIn(up.varDir);
    t.ok(s, 'state readable');
    t.equal(s?.pid, up.child.pid, 'pid of up itself');
    t.match(s?.redisUrl ?? '', /^redis:\/\/:[A-Za-z0-9_-]{32}@127\.0\.0\.1:\d+$/, 'the embedded Redis with its password');
    t.equal(s?.nginxPort, up.port);
    t.same(childrenOf(s?.children ?? [], 'node').map((n) => [n.name, n.port, n.weight]), [[`node-${up.portBase}`, up.portBase, 1], [`node-${up.portBase + 1}`, up.portBase + 1, 3]]);
    t.ok(s?.adminToken && s.adminToken.length >= 16, 'admin token recorded');
  });

  t.test('the embedded Redis requires its password, which every user of it has', async (t) => {
    const url = new URL(up.state().redisUrl ?? '');
    const password = readFileSync(join(up.varDir, 'redis.password'), 'utf8').trim();
    t.equal(decodeURIComponent(url.password), password, 'up.json carries the password kept in var/redis.password');
    const bare = await runCommand('redis-cli', ['-p', url.port, 'PING']);
    t.match(bare.stdout + bare.stderr, /NOAUTH/, 'redis-cli PING without it: NOAUTH');
    const wrong = await runCommand('redis-cli', ['-p', url.port, 'PING'], { env: { REDISCLI_AUTH: 'not-the-password' } });
    t.match(wrong.stdout + wrong.stderr, /WRONGPASS|invalid username-password/, 'a wrong one: refused');
    const authed = await runCommand('redis-cli', ['-p', url.port, 'PING'], { env: { REDISCLI_AUTH: password } });
    t.equal(authed.stdout.trim(), 'PONG', 'with it: PONG');
    const redisPid = up.state().children.find((c) => c.role === 'redis')?.pid ?? -1;
    t.notOk(readFileSync(`/proc/${redisPid}/cmdline`, 'utf8').includes(password), 'not on its command line');
    t.notOk(up.stdout.includes(password) || up.stderr.includes(password), 'nor in what up printed');
    t.match(up.stdout, new RegExp(`redis   redis://:\\*\\*\\*@127\\.0\\.0\\.1:${url.port}  pid`), 'the summary masks it');
    for (const file of readdirSync(join(up.varDir, 'logs'))) t.notOk(readFileSync(join(up.varDir, 'logs', file), 'utf8').includes(password), `nor logs/${file}`);
    // The nodes and the worker reached it (up waited for both); the CLI finds it, password included, through up.json.
    const status = await runCli(['sale', 'status', 'demo'], { TICKET_SPIKE_VAR: up.varDir });
    t.equal(status.code, 0, `sale status finds the Redis of up.json (${status.stderr.trim()})`);
    t.match(status.stdout, /demo/);
  });

  t.test('the var dir is 0700; its secrets, the AOF and the logs 0600', async (t) => {
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    t.equal(mode(up.varDir), '700', 'the var dir');
    for (const file of ['up.json', 'redis.password', 'postgres.password']) t.equal(mode(join(up.varDir, file)), '600', file);
    t.equal(mode(join(up.varDir, 'redis')), '700', 'the Redis data dir');
    const aofDir = join(up.varDir, 'redis', 'appendonlydir');
    t.equal(mode(aofDir), '700', 'the AOF dir Redis made');
    const aof = readdirSync(aofDir);
    t.ok(aof.length >= 2, `the AOF files (${aof.join(', ')})`);
    for (const file of aof) t.equal(mode(join(aofDir, file)), '600', `redis/appendonlydir/${file}`);
    const logs = readdirSync(join(up.varDir, 'logs'));
    t.ok(logs.includes('redis.log') && logs.includes('watchdog.log'), `the logs (${logs.join(', ')})`);
    for (const file of logs) t.equal(mode(join(up.varDir, 'logs', file)), '600', `logs/${file}`);
  });

  t.test('up makes one e-ticket key in <var>/ticket-keys and every node serves it', async (t) => {
    const dir = join(up.varDir, 'ticket-keys');
    t.equal(statSync(dir).mode & 0o777, 0o700);
    const pems = readdirSync(dir).filter((n) => n.endsWith('.pem'));
    t.equal(pems.length, 1);
    for (const port of [up.portBase, up.portBase + 1]) {
      const served = (await (await fetch(`http://127.0.0.1:${port}/.well-known/ticket-keys`)).json()) as { keys: Array<{ kid: string }> };
      t.same(served.keys.map((k) => `${k.kid}.pem`), pems, `node on ${port} uses the directory's key`);
    }
  });

  t.test('a second up on the same var dir is refused with one clear line', async (t) => {
    const exit = await UpProcess.run(['--port', String(await freePort()), '--port-base', String(up.portBase + 10), '--var-dir', up.varDir, '--nodes', '1']);
    t.not(exit.code, 0, `exit code ${exit.code}`);
    t.match(exit.stderr, /ticket-spike up: ticket-spike up is already running \(pid \d+/, exit.stderr);
    t.ok(noStack(exit.stderr), 'no stack trace');
    t.equal(readUpStateIn(up.varDir)?.pid, up.child.pid, "the running up's state file is untouched");
  });

  t.test('a busy port is refused with one clear line, before anything starts', async (t) => {
    const busy = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(busy, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const varDir = join(up.varDir, 'other');
    const exit = await UpProcess.run(['--port', String(busy), '--port-base', String(up.portBase + 20), '--var-dir', varDir, '--nodes', '1', '--redis-port', String(await freePort())]);
    t.equal(exit.code, 1, 'exit code 1');
    t.match(exit.stderr, new RegExp(`ticket-spike up: port ${busy} \\(nginx, --port\\) is already in use`), exit.stderr);
    t.ok(noStack(exit.stderr), 'no stack trace');
    t.notOk(existsSync(join(varDir, 'up.json')), 'the refused up released its lock');
    const nodePort = await UpProcess.run(['--port', String(await freePort()), '--port-base', String(up.portBase), '--var-dir', varDir, '--nodes', '1']);
    t.match(nodePort.stderr, new RegExp(`port ${up.portBase} \\(node-${up.portBase}, --port-base\\) is already in use`), 'a node port in use is named too');
  });

  t.test('SIGTERM stops everything: exit 0, no child left, no state file', async (t) => {
    const pids = descendants(up.child.pid ?? -1);
    const s = up.state();
    const expected = s.children.map((c) => c.pid);
    t.same(s.children.map((c) => c.role).sort(), ['nginx', 'node', 'node', 'orders-worker', 'postgres', 'redis', 'watchdog'], 'up.json lists every child');
    t.ok(expected.every((p) => pids.includes(p)), `every child in up.json runs under up (${pids.length} processes incl. nginx workers)`);
    const exit = await up.stop();
    t.equal(exit.code, 0, 'exit 0');
    t.equal(exit.stateLeft, false, 'up.json removed');
    await sleep(100);
    t.same(alive([...pids, up.child.pid ?? -1]), [], 'no process left behind');
    t.match(exit.stderr, /ticket-spike up: stopped\./);
  });
});
