// What `up` prints once it runs (src/launcher/summary.ts): everything an operator needs, and no password.
import t from 'tap';
import { parseUpArgs } from '../../src/cli/up.js';
import type { UpOptions } from '../../src/launcher/options.js';
import { upSummary, withoutPassword, type SummaryFacts } from '../../src/launcher/summary.js';

const PASSWORD = 'Zq9-s3cr3t_Pw';
const REDIS_PASSWORD = 'Rd7_s3cr3t-Pw0rd';

function options(argv: string[] = []): UpOptions {
  const parsed = parseUpArgs(argv, {}, 2);
  if (parsed === 'help') throw new Error('unexpected help');
  return parsed;
}

function facts(patch: Partial<SummaryFacts> = {}): SummaryFacts {
  return {
    options: options(),
    varDir: '/srv/ts/var',
    plan: [{ id: 'node-1', port: 3001, weight: 1 }] as SummaryFacts['plan'],
    children: [
      { role: 'watchdog', name: 'watchdog', pid: 13, cmdlineHas: ['w'], upPid: 1 },
      { role: 'redis', name: 'redis', pid: 11, cmdlineHas: ['r'], upPid: 1 },
      { role: 'postgres', name: 'postgres', pid: 12, cmdlineHas: ['p'], upPid: 1 },
      { role: 'node', name: 'node-1', pid: 14, cmdlineHas: ['n'], upPid: 1, port: 3001, weight: 1 },
      { role: 'orders-worker', name: 'orders-worker-1', pid: 15, cmdlineHas: ['o'], upPid: 1 },
      { role: 'orders-worker', name: 'orders-worker-2', pid: 16, cmdlineHas: ['o'], upPid: 1 },
      { role: 'nginx', name: 'nginx', pid: 10, cmdlineHas: ['x'], upPid: 1 },
    ],
    embeddedRedis: true,
    embeddedPostgres: true,
    redisUrl: `redis://:${REDIS_PASSWORD}@127.0.0.1:6380`,
    redisDataDir: '/srv/ts/var/redis',
    databaseUrl: `postgresql://postgres:${PASSWORD}@127.0.0.1:5433/postgres`,
    postgresDataDir: '/srv/ts/var/postgres',
    demo: 'created',
    adminToken: 'admin-token-shown',
    tokenGenerated: true,
    ...patch,
  };
}

t.test('the embedded PostgreSQL: its URL with the password masked, and where the password is kept', async (t) => {
  const text = upSummary(facts());
  t.notOk(text.includes(PASSWORD), 'the password is not printed');
  t.match(text, /postgres postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:5433\/postgres  pid 12/, 'the URL, masked');
  t.match(text, /password in \/srv\/ts\/var\/postgres\.password and \/srv\/ts\/var\/up\.json \(databaseUrl\), both mode 0600/, 'where it is');
  t.match(text, /Admin token \(generated; set ADMIN_TOKEN to choose one\): admin-token-shown/, 'the admin token is printed, as before: the operator needs it for the dashboard');
});

t.test('the embedded Redis: its URL with the password masked, and where the password is kept', async (t) => {
  const text = upSummary(facts());
  t.notOk(text.includes(REDIS_PASSWORD), 'the password is not printed');
  t.match(text, /redis   redis:\/\/:\*\*\*@127\.0\.0\.1:6380  pid 11 /, 'the URL, masked');
  t.match(text, /password in \/srv\/ts\/var\/redis\.password and \/srv\/ts\/var\/up\.json \(redisUrl\), both mode 0600/, 'where it is');
});

t.test("every child's pid comes from up.json's children", async (t) => {
  const text = upSummary(facts());
  t.match(text, /nginx   http:\/\/127\.0\.0\.1:8080   pid 10 /);
  t.match(text, /node-1    http:\/\/127\.0\.0\.1:3001  weight 1  pid 14 /);
  t.match(text, /orders  2 workers \(pid 15, 16\)/);
  t.match(text, /watchdog pid 13:/);
  t.match(upSummary(facts({ children: [] })), /orders  0 workers \(pid -\)[^\n]*\n[^\n]*watchdog pid -:/, 'none running: no pid');
});

t.test('external URLs: a password in the userinfo or as a parameter is masked too', async (t) => {
  const text = upSummary(
    facts({
      embeddedRedis: false,
      embeddedPostgres: false,
      redisUrl: `redis://default:${PASSWORD}@10.0.0.5:6379/0`,
      databaseUrl: `postgres://app@db.internal:5432/orders?sslmode=require&password=${PASSWORD}`,
    }),
  );
  t.notOk(text.includes(PASSWORD), 'no password');
  t.match(text, /redis\s+redis:\/\/default:\*\*\*@10\.0\.0\.5:6379\/0 \(external, not supervised\)/);
  t.match(text, /postgres postgres:\/\/app@db\.internal:5432\/orders\?sslmode=require&password=\*\*\* \(external, not supervised\)/);
  t.equal(withoutPassword('redis://127.0.0.1:6380'), 'redis://127.0.0.1:6380', 'a URL without a password is unchanged');
  t.equal(withoutPassword(`not a url ${PASSWORD}`), '(a URL that does not parse; not shown)', 'what does not parse is not shown at all');
});

t.test('the limits: the defaults, the exempt list and the client address', async (t) => {
  const text = upSummary(facts());
  t.match(text, /per address \(nginx\): \/buy\/ticket 50 r\/s \+ burst 100; \/orders\/, \/tickets\/, \/admin\/ and 128 requests in progress \(nginx\/nginx\.conf\)\n/);
  t.match(text, /exempt from them \(--ip-rate-exempt\): 127\.0\.0\.0\/8, ::1\n/);
  t.match(text, /per buyer \(nodes\): 5\/s \+ burst 20; over a limit 429 \+ Retry-After/);
  t.match(text, /client address: the TCP peer \(X-Forwarded-For ignored; behind a load balancer: --trusted-proxy CIDR\)/);
  t.notMatch(text, /most of their purchases get 429/, 'ab and wrk here are exempt: no warning');
  const strict = upSummary(facts({ options: options(['--ip-rate-exempt', '10.0.0.0/8', '--trusted-proxy', '192.0.2.0/24']) }));
  t.match(strict, /exempt from them \(--ip-rate-exempt\): 10\.0\.0\.0\/8\n/);
  t.match(strict, /client address: from X-Forwarded-For when sent by 192\.0\.2\.0\/24 \(--trusted-proxy\), else the TCP peer/);
  t.match(strict, /127\.0\.0\.1 is not in --ip-rate-exempt: ab and wrk here are one address to nginx/, 'loopback limited: the warning beside ab');
  t.match(upSummary(facts({ options: options(['--ip-rate-exempt', 'none', '--ip-rate', '0']) })), /no purchase limit;[^\n]*\n\s+exempt from them \(--ip-rate-exempt\): none, every address is limited/);
});
