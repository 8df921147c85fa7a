// Launcher pieces without processes: backoff, flags, the state-file lock, template rendering.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backoff } from '../../src/launcher/backoff.js';
import { parseUpArgs, UP_HELP } from '../../src/cli/up.js';
import { ConfigError } from '../../src/config/errors.js';
import type { UpOptions } from '../../src/launcher/options.js';
import { acquireUpLock, readUpStateIn, releaseUpLock, writeUpState, type UpState } from '../../src/launcher/state.js';
import { readNginxTemplate, renderNginxConf } from '../../src/launcher/nginx.js';
import { findProjectRoot, resolveVarDir } from '../../src/launcher/paths.js';

t.test('backoff: 100 ms doubling to 5 s, reset after a minute of uptime', async (t) => {
  const b = new Backoff();
  t.same([0, 0, 0, 0, 0, 0, 0, 0].map(() => b.delayAfter(10)), [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  t.equal(b.delayAfter(60_000), 100, 'a child that ran a minute starts over');
  t.equal(b.delayAfter(5), 200);
  t.throws(() => new Backoff({ initialMs: 0, maxMs: 1, resetAfterMs: 1 }), RangeError);
});

t.test('flags: defaults, weights, and errors that name the flag', async (t) => {
  const up = (argv: string[], env: NodeJS.ProcessEnv = {}): UpOptions => {
    const parsed = parseUpArgs(argv, env, 2);
    if (parsed === 'help') throw new Error('unexpected help');
    return parsed;
  };
  const d = up([]);
  t.same({ nodes: d.nodes, weights: d.weights, port: d.port, portBase: d.portBase, threads: d.threads, redisPort: d.redisPort, demoTotal: d.demoTotal }, {
    nodes: 4, weights: [1, 2, 3, 4], port: 8080, portBase: 3001, threads: 1, redisPort: 'auto', demoTotal: 10_000,
  });
  t.same({ ipRate: d.ipRate, ipBurst: d.ipBurst, buyerRate: d.buyerRate, buyerBurst: d.buyerBurst }, { ipRate: 50, ipBurst: 100, buyerRate: 5, buyerBurst: 20 }, 'rate limits on by default');
  t.same(up(['--ip-rate', '0', '--buyer-rate', '0']), { ...d, ipRate: 0, buyerRate: 0 }, '0 turns each off');
  t.same({ exempt: d.ipRateExempt, trusted: d.trustedProxies }, { exempt: ['127.0.0.0/8', '::1'], trusted: [] }, 'this machine exempt, no proxy trusted by default');
  t.same(up(['--ip-rate-exempt', 'none']).ipRateExempt, [], '--ip-rate-exempt none: every address limited');
  t.same(up(['--ip-rate-exempt', '10.0.0.0/8, 192.0.2.7,2001:db8::/32']).ipRateExempt, ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'], 'a list, spaces trimmed');
  t.same(up(['--trusted-proxy', '10.1.0.0/16,10.2.0.5']).trustedProxies, ['10.1.0.0/16', '10.2.0.5'], '--trusted-proxy: the balancers');
  t.match(UP_HELP, /--ip-rate-exempt CIDR,\.\.\. .*default 127\.0\.0\.0\/8,::1/, 'up --help documents --ip-rate-exempt and its default');
  t.match(UP_HELP, /--trusted-proxy CIDR,\.\.\. .*X-Forwarded-For.*default none/, 'and --trusted-proxy');
  t.same(up(['--weights', '5,1']).nodes, 2, '--weights alone sets the node count');
  t.same(up(['--nodes', '3']).weights, [1, 2, 3]);
  t.equal(up([], { REDIS_URL: 'redis://10.0.0.1:6379' }).redisUrl, 'redis://10.0.0.1:6379', 'REDIS_URL means an external Redis');
  t.equal(up([], { ADMIN_TOKEN: 'tok-0123456789abcdef' }).adminToken, 'tok-0123456789abcdef', 'ADMIN_TOKEN is passed on');
  t.equal(up([]).adminToken, undefined, 'no ADMIN_TOKEN: up makes one');
  t.throws(() => parseUpArgs([], { ADMIN_TOKEN: 'tok' }, 2), { name: 'ConfigError', message: /^ADMIN_TOKEN: use at least 16 characters \(got 3\)/ }, 'a short ADMIN_TOKEN is refused before anything starts');
  t.throws(() => parseUpArgs([], { GATE_TOKEN: 'gate' }, 2), { name: 'ConfigError', message: /^GATE_TOKEN: use at least 16/ }, 'a short GATE_TOKEN too');
  t.equal(parseUpArgs(['--help'], {}, 2), 'help');
  const bad = (argv: string[], re: RegExp) => {
    try {
      parseUpArgs(argv, {}, 2);
      t.fail(`accepted ${argv.join(' ')}`);
    } catch (err) {
      t.ok(err instanceof ConfigError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION', 'a flag error (exit 2)');
      t.match((err as Error).message, re);
    }
  };
  bad(['--nodes', '3', '--weights', '1,2'], /--weights: has 2 items but --nodes is 3/);
  bad(['--weights', '1,0'], /--weights \(item 2\)/);
  bad(['--port', '3002'], /--port: 3002 falls inside the node ports 3001-3004/);
  bad(['--port', 'http'], /--port: expected a whole number from 1 to 65535/);
  bad(['--redis', 'http://x'], /--redis \(or REDIS_URL\): expected a redis:\/\//);
  bad(['--bogus'], /Unknown option '--bogus'/);
  bad(['--ip-rate=-1'], /--ip-rate: expected a whole number from 0 to/);
  bad(['--buyer-burst', '0'], /--buyer-burst: expected a whole number from 1 to 1000/);
  bad(['--ip-rate-exempt', '127.0.0.1/8'], /--ip-rate-exempt: item 1: "127\.0\.0\.1\/8" has bits set beyond its \/8: write 127\.0\.0\.0\/8/);
  bad(['--ip-rate-exempt', '10.0.0.0/8,localhost'], /--ip-rate-exempt: item 2: "localhost" is not an IPv4 or IPv6 address or CIDR/);
  bad(['--ip-rate-exempt', ''], /--ip-rate-exempt: item 1: is empty/);
  bad(['--trusted-proxy', '10.0.0.0/33'], /--trusted-proxy: item 1: "10\.0\.0\.0\/33": the prefix after \/ must be a whole number from 0 to 32/);
  bad(['--trusted-proxy', '0.0.0.0/0'], /--trusted-proxy: 0\.0\.0\.0\/0 trusts every address, so any client could choose its own address/);
});

t.test('state file: a live pid locks, a dead one is stale, release only removes our own', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mine: UpState = { pid: process.pid, status: 'starting', startedAt: new Date().toISOString(), varDir: dir, children: [] };
  acquireUpLock(dir, mine);
  t.equal(readUpStateIn(dir)?.pid, process.pid, 'readable while our pid lives');
  writeUpState(dir, { ...mine, status: 'running', redisUrl: 'redis://127.0.0.1:6380' });
  t.equal(readUpStateIn(dir)?.redisUrl, 'redis://127.0.0.1:6380');
  releaseUpLock(dir);
  t.equal(readUpStateIn(dir), undefined, 'gone after release');

  // Another live process (our parent) holds it: refused.
  writeFileSync(join(dir, 'up.json'), JSON.stringify({ ...mine, pid: process.ppid }));
  t.throws(() => acquireUpLock(dir, mine), { code: 'ALREADY_RUNNING' });
  releaseUpLock(dir);
  t.ok(readUpStateIn(dir), "release leaves another up's file alone");

  // A dead pid: stale, replaced; readUpState ignores it.
  writeFileSync(join(dir, 'up.json'), JSON.stringify({ ...mine, pid: 2 ** 22 + 12345 }));
  t.equal(readUpStateIn(dir), undefined, 'a dead up is not reported');
  acquireUpLock(dir, mine);
  t.equal(readUpStateIn(dir)?.pid, process.pid, 'stale file replaced');
  releaseUpLock(dir);

  // Garbage: refused while fresh (another up may be mid-write), replaced when old.
  writeFileSync(join(dir, 'up.json'), '');
  t.throws(() => acquireUpLock(dir, mine), { code: 'ALREADY_RUNNING' });
  const old = new Date(Date.now() - 10_000);
  utimesSync(join(dir, 'up.json'), old, old);
  acquireUpLock(dir, mine);
  releaseUpLock(dir);
});

t.test('var dir: --var-dir, then TICKET_SPIKE_VAR, then <root>/var', async (t) => {
  const root = findProjectRoot();
  t.equal(resolveVarDir(root, undefined, {}), join(root, 'var'));
  t.equal(resolveVarDir(root, undefined, { TICKET_SPIKE_VAR: '/tmp/x' }), '/tmp/x');
  t.equal(resolveVarDir(root, '/tmp/y', { TICKET_SPIKE_VAR: '/tmp/x' }), '/tmp/y');
});

t.test('template: bad input is refused, not rendered', async (t) => {
  const tpl = readNginxTemplate();
  const base = { prefix: '/tmp/p', port: 8080, upstreams: [{ host: '127.0.0.1', port: 3001, weight: 1 }] };
  t.throws(() => renderNginxConf(tpl, { ...base, upstreams: [] }), RangeError);
  t.throws(() => renderNginxConf(tpl, { ...base, upstreams: [{ host: '127.0.0.1', port: 3001, weight: 0 }] }), /weight/);
  t.throws(() => renderNginxConf(tpl, { ...base, prefix: '/tmp/a b' }), /prefix/);
  t.throws(() => renderNginxConf(tpl + '{{NOPE}}', base), /unknown placeholder \{\{NOPE\}\}/);
  t.match(renderNginxConf(tpl, { ...base, userDirective: '' }), /^worker_processes 1;/m);
});
