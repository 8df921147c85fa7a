import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseNodeArgs } from '../../src/cli/node.js';
import { discoveredRedisUrl } from '../../src/cli/redis-url.js';
import { ConfigError } from '../../src/config/errors.js';
import { DEFAULT_REDIS_URL, NODE_COMMAND, NODE_DEFAULTS } from '../../src/config/node-config.js';
import { helpText } from '../../src/config/options.js';

// No `up` runs in a test: the Redis of a running `up` is injected, never read from the checkout's var/.
const noUp = () => undefined;

t.test('defaults and filled options', async (t) => {
  const config = parseNodeArgs(['--port', '3002'], {}, noUp);
  if (config === 'help') throw new Error('unexpected help');
  t.equal(config.port, 3002);
  t.equal(config.id, 'node-3002', 'id defaults to node-<port>');
  t.equal(config.threads, NODE_DEFAULTS.threads);
  t.equal(config.redisUrl, DEFAULT_REDIS_URL);
  t.equal(config.weight, 1);
  t.equal(config.totalWeight, 1, 'total weight defaults to the own weight: a single node');
  t.equal(config.defaultSale, 'default');
  t.equal(config.statLog, null);
  t.equal(config.adminToken, null);
  t.same([config.buyerRate, config.buyerBurst], [NODE_DEFAULTS.buyerRate, NODE_DEFAULTS.buyerBurst], 'per-buyer limit on by default');
  t.ok(NODE_DEFAULTS.buyerRate > 0);
  const off = parseNodeArgs(['--buyer-rate', '0', '--buyer-burst', '7'], {}, noUp);
  t.same(off !== 'help' && [off.buyerRate, off.buyerBurst], [0, 7], '--buyer-rate 0 turns it off');
  const env = parseNodeArgs([], { PORT: '4000', REDIS_URL: 'redis://10.0.0.1:7000', ADMIN_TOKEN: 'tok-0123456789abcdef', LOG_LEVEL: 'debug' }, noUp);
  if (env === 'help') throw new Error('unexpected help');
  t.equal(env.port, 4000, 'PORT');
  t.equal(env.redisUrl, 'redis://10.0.0.1:7000', 'REDIS_URL');
  const withPassword = parseNodeArgs([], { REDIS_URL: 'redis://:secret@h:1', DATABASE_URL: 'postgresql://u:secret@h/db' }, noUp);
  t.match(withPassword, { redisUrl: 'redis://:secret@h:1', databaseUrl: 'postgresql://u:secret@h/db' }, 'a URL with a password is taken from the environment');
  t.equal(env.adminToken, 'tok-0123456789abcdef', 'ADMIN_TOKEN');
  t.equal(env.logLevel, 'debug');
  const flags = parseNodeArgs(['--port', '1', '--redis', 'redis://h:1', '--weight', '3', '--total-weight', '10', '--threads', '4'], {
    REDIS_URL: 'redis://ignored:1',
  }, noUp);
  if (flags === 'help') throw new Error('unexpected help');
  t.equal(flags.redisUrl, 'redis://h:1', '--redis wins over REDIS_URL');
  t.equal(flags.weight, 3);
  t.equal(flags.totalWeight, 10);
  t.equal(flags.threads, 4);
  t.equal(parseNodeArgs(['--help'], {}, noUp), 'help');
  t.equal(discoveredRedisUrl({}, noUp), DEFAULT_REDIS_URL, 'nothing running: the default');
  t.equal(discoveredRedisUrl({}, () => 'redis://127.0.0.1:6380'), 'redis://127.0.0.1:6380', 'a running up is found');
  const upFound = parseNodeArgs([], {}, () => 'redis://127.0.0.1:6380');
  t.equal(upFound !== 'help' && upFound.redisUrl, 'redis://127.0.0.1:6380', 'a node with no --redis finds the running up');
  const envWins = parseNodeArgs([], { REDIS_URL: 'redis://e:1' }, () => 'redis://127.0.0.1:6380');
  t.equal(envWins !== 'help' && envWins.redisUrl, 'redis://e:1', 'REDIS_URL wins over a running up');
});

t.test('each bad option is an error that names it and says what to change', async (t) => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--port', '70000'], {}, /^--port \(or PORT\): expected a whole number from 1 to 65535/],
    [['--port', 'abc'], {}, /^--port/],
    [[], { PORT: '-1' }, /^--port \(or PORT\)/],
    [['--threads', '0'], {}, /^--threads: expected a whole number from 1 to 256/],
    [['--weight', '2', '--total-weight', '1'], {}, /^--total-weight: must be at least --weight/],
    [['--redis', 'http://x'], {}, /^--redis \(or REDIS_URL\): expected a redis:\/\//],
    [['--redis', 'not a url'], {}, /^--redis \(or REDIS_URL\): expected a URL/],
    [['--redis', 'redis://:secret@h:1'], {}, /^--redis: this URL carries a password, and ps shows every process's arguments: set REDIS_URL instead/],
    [['--database', 'postgresql://u:secret@h/db'], {}, /^--database: this URL carries a password.*set DATABASE_URL instead/],
    [['--database', 'postgresql://u@h/db?password=secret'], {}, /^--database: this URL carries a password/],
    [['--default-sale', 'bad sale'], {}, /^--default-sale \(or DEFAULT_SALE\): has characters or a form that are not allowed: send 1-48 characters/],
    [['--id', 'has space'], {}, /^--id:/],
    [['--batch-size', '600'], {}, /^--batch-size: expected a whole number from 1 to 512/],
    [['--log-level', 'loud'], {}, /^--log-level \(or LOG_LEVEL\): one of/],
    [['--max-body-bytes', '1'], {}, /^--max-body-bytes/],
  ];
  for (const [argv, env, message] of cases) {
    let caught: unknown;
    try {
      parseNodeArgs(argv, env, noUp);
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof ConfigError, `${argv.join(' ') || JSON.stringify(env)} -> ConfigError`);
    t.match((caught as Error | undefined)?.message, message, `  ${(caught as Error | undefined)?.message}`);
  }
  t.throws(() => parseNodeArgs(['--nope'], {}, noUp), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }, 'unknown flags are refused by parseArgs');
});

t.test('one batch-size rule: every size the node accepts, its batcher accepts', async (t) => {
  const { ReservationBatcher } = await import('../../src/sale/batcher.js');
  const { BATCH_SIZE } = await import('../../src/rules/input-rules.js');
  const accepted = parseNodeArgs(['--batch-size', String(BATCH_SIZE.max)], {}, noUp);
  if (accepted === 'help') throw new Error('unexpected help');
  const engine = {} as ConstructorParameters<typeof ReservationBatcher>[0];
  t.doesNotThrow(() => new ReservationBatcher(engine, { maxBatch: accepted.batchSize }), `--batch-size ${accepted.batchSize} builds a batcher`);
  t.throws(() => parseNodeArgs(['--batch-size', String(BATCH_SIZE.max + 1)], {}, noUp), ConfigError, 'one more is refused at the flag');
});

t.test('--help is made from the same definition that parses', async (t) => {
  const { NODE_HELP } = await import('../../src/cli/node.js');
  const { NODE_COMMAND } = await import('../../src/config/node-config.js');
  for (const [name, o] of Object.entries(NODE_COMMAND.options)) {
    t.match(NODE_HELP, `--${name}`, `--${name} is listed`);
    if (o.type === 'int') t.match(NODE_HELP, `${o.min}..${o.max}`, `  with its range ${o.min}..${o.max}`);
    if ('env' in o) t.match(NODE_HELP, `env ${o.env}`, `  and its variable ${o.env}`);
  }
});

t.test('secrets come from the environment or a file, never argv, and are long enough', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-secret-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'admin');
  writeFileSync(file, 'from-a-file-0123456789\n');
  const fromFile = parseNodeArgs(['--admin-token-file', file], { ADMIN_TOKEN: 'from-the-env-0123456789' }, noUp);
  t.equal(fromFile !== 'help' && fromFile.adminToken, 'from-a-file-0123456789', '--admin-token-file wins, its newline dropped');
  const gate = parseNodeArgs([], { GATE_TOKEN: 'gate-token-0123456789' }, noUp);
  t.equal(gate !== 'help' && gate.gateToken, 'gate-token-0123456789', 'GATE_TOKEN');
  const none = parseNodeArgs([], {}, noUp);
  t.same(none !== 'help' && [none.adminToken, none.gateToken], [null, null], 'no token: admin and check-in off');
  const refused: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--admin-token', 'x'.repeat(20)], {}, /^--admin-token: a secret is not taken on the command line \(ps shows/],
    [['--admin-token=' + 'x'.repeat(20)], {}, /set ADMIN_TOKEN, or put it in a file and pass --admin-token-file PATH/],
    [['--jwt-secret', 'x'.repeat(40)], {}, /^--jwt-secret: a secret is not taken on the command line/],
    [['--payment-secret', 'x'.repeat(40)], {}, /^--payment-secret: a secret/],
    [[], { ADMIN_TOKEN: 'short' }, /^ADMIN_TOKEN \(or --admin-token-file\): use at least 16 characters \(got 5\)/],
    [[], { GATE_TOKEN: 'x'.repeat(15) }, /^GATE_TOKEN \(or --gate-token-file\): use at least 16 characters/],
    [['--admin-token-file', join(dir, 'missing')], {}, /^--admin-token-file: cannot read/],
  ];
  for (const [argv, env, message] of refused) t.throws(() => parseNodeArgs(argv, env, noUp), { name: 'ConfigError', message }, String(message));
  t.match(helpText(NODE_COMMAND), /--admin-token-file PATH +token for the \/admin routes .*env ADMIN_TOKEN holds it; 16\+ characters; never the secret itself as a flag/);
});
