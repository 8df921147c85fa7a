// Where the authority is (src/rules/redis-target.ts, src/config/authority-options.ts): one Redis URL or Sentinels
// with a master name, as one string every command carries; the node's flags that make it; the confirmation rule's
// bounds. A bad value names the flag and says what to send.
import t from 'tap';
import { parseNodeArgs } from '../../src/cli/node.js';
import { parseAddressList, parseRedisTarget, redactRedisTarget, sentinelTarget } from '../../src/rules/redis-target.js';

const noUp = () => undefined;

t.test('the target string: one Redis, or Sentinels and a master name', async (t) => {
  t.same(parseRedisTarget('redis://127.0.0.1:6379'), { kind: 'url', url: 'redis://127.0.0.1:6379' });
  t.same(parseRedisTarget('redis-sentinel://10.0.0.1:26379,10.0.0.2:26379/ts'), {
    kind: 'sentinel', sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }], masterName: 'ts',
  });
  const withPassword = sentinelTarget([{ host: 'h', port: 1 }, { host: '::1', port: 2 }], 'm', 'p@ss:w/rd');
  t.equal(withPassword, 'redis-sentinel://:p%40ss%3Aw%2Frd@h:1,[::1]:2/m', 'the password is percent-encoded, an IPv6 host bracketed');
  t.same(parseRedisTarget(withPassword), { kind: 'sentinel', sentinels: [{ host: 'h', port: 1 }, { host: '::1', port: 2 }], masterName: 'm', password: 'p@ss:w/rd' }, 'and read back');
  t.match(parseRedisTarget('redis-sentinel://h:1'), /no master name/);
  t.match(parseRedisTarget('redis-sentinel://h:1/bad name'), /master name/);
  t.match(parseRedisTarget('redis-sentinel://h:99999/m'), /host:port/);
  t.match(parseRedisTarget('http://x'), /redis:\/\/, rediss:\/\/ or redis-sentinel:\/\//);
  t.same(parseAddressList('a:1, b:2'), [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
  t.match(parseAddressList('a'), /host:port/);
  t.equal(redactRedisTarget('redis-sentinel://:secret@h:1,h:2/m'), 'redis-sentinel://***@h:1,h:2/m', 'logs never show the password');
  t.equal(redactRedisTarget('redis://:secret@h:1'), 'redis://:***@h:1');
  t.equal(redactRedisTarget('redis://h:1'), 'redis://h:1');
});

t.test("a node's flags: --redis-sentinels makes the target; --confirm-replicas the rule", async (t) => {
  const cfg = parseNodeArgs(['--redis-sentinels', '127.0.0.1:26379,127.0.0.1:26380', '--redis-master-name', 'ts', '--confirm-replicas', '2'], { REDIS_PASSWORD: 'secret' }, noUp);
  if (cfg === 'help') throw new Error('unexpected help');
  t.equal(cfg.redisUrl, 'redis-sentinel://:secret@127.0.0.1:26379,127.0.0.1:26380/ts');
  t.same(cfg.confirm, { replicas: 2, timeoutMs: 500 });
  const byEnv = parseNodeArgs([], { REDIS_SENTINELS: 'h:1', REDIS_MASTER_NAME: 'm', CONFIRM_REPLICAS: '1', CONFIRM_TIMEOUT_MS: '250' }, noUp);
  t.match(byEnv, { redisUrl: 'redis-sentinel://h:1/m', confirm: { replicas: 1, timeoutMs: 250 } }, 'the same by environment');
  t.match(parseNodeArgs(['--redis', 'redis://h:1'], {}, noUp), { confirm: { replicas: 0 } }, 'default: no replicas to wait for');
  const refused = (argv: string[], message: RegExp, what: string) => t.throws(() => parseNodeArgs(argv, {}, noUp), { name: 'ConfigError', message }, what);
  refused(['--redis', 'redis://h:1', '--redis-sentinels', 'h:2'], /either --redis .* or --redis-sentinels/, 'both: refused');
  refused(['--redis-sentinels', 'nope'], /--redis-sentinels.*host:port/, 'a bad list names the flag');
  refused(['--confirm-replicas', '1', '--confirm-timeout-ms', '1950'], /--confirm-timeout-ms.*below 1900 ms/, 'a WAIT as long as the purchase deadline: refused');
  refused(['--confirm-replicas', '17'], /--confirm-replicas/, 'at most 16');
});
