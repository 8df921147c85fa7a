import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import {
  BATCH_SIZE,
  BUYER_BURST,
  BUYER_RATE,
  DEFAULT_MAX_SALES,
  JWT_MAX_AGE_SECONDS,
  MAX_SALES,
  MIN_SIGNING_SECRET_LENGTH,
  MIN_TOKEN_LENGTH,
  NODE_ID,
  PORT,
  SALE_ID,
  checkText,
  type Checked,
} from '../rules/input-rules.js';
import { AUTHORITY_OPTIONS, authorityOf } from './authority-options.js';
import { ConfigError } from './errors.js';
import { checkNodeAddress } from '../rules/node-address.js';
import { parseCommand, type CommandSpec } from './options.js';
import { parseRedisTarget } from '../rules/redis-target.js';

/**
 * Everything one node needs, fully filled in. Built in three steps (piscina style): flags and environment
 * (NODE_COMMAND: each option's range, variable, default and help in one place) -> checked values -> the
 * cross-checks below (buildNodeConfig).
 */
export interface NodeConfig {
  port: number;
  host: string;
  threads: number;
  /** One Redis URL, or redis-sentinel://... (src/rules/redis-target.ts). */
  redisUrl: string;
  /** Replicas that must have a confirming write before it is answered (src/redis/confirmed-scripts.ts); 0 = none. */
  confirm: { replicas: number; timeoutMs: number };
  /**
   * --allow-unsafe-redis: run on a Redis without maxmemory-policy noeviction or appendonly yes (logged as a
   * warning) instead of refusing to start (src/redis/settings-check.ts).
   */
  allowUnsafeRedis: boolean;
  /** The order store (PostgreSQL); null = none, the node's PostgreSQL features are off. */
  databaseUrl: string | null;
  id: string;
  weight: number;
  totalWeight: number;
  /** --total-weight was given: the split's total is fixed, not the roster's sum. */
  totalWeightPinned: boolean;
  /** Node roster beat period (src/node/main/weight-split.ts); 0 = off. */
  rosterMs: number;
  /** host:port nginx reaches this node at. */
  advertise: string;
  defaultSale: string;
  statLog: string | null;
  batchSize: number;
  /**
   * How long a batch waits to fill. 0 (default) = flush on setImmediate: a batch is whatever purchases
   * arrived in the same event-loop turn, so it grows with load by itself and adds no fixed delay (measured:
   * 31k vs 20k purchases/s at 100 connections against 1 ms, bench/stress/node-vs-hello.sh).
   */
  batchWindowMs: number;
  batchInFlight: number;
  /** A purchase not decided by Redis within this time is answered 503 (outcome unknown). */
  deadlineMs: number;
  /** Extra units on top of the node's weighted share of the global remaining (src/sale/quota.ts). */
  quotaBuffer: number;
  maxSales: number;
  /** Main-thread loops; 0 turns one off (tests use that to count only purchase scripts). */
  reconcileMs: number;
  sweepMs: number;
  refreshMs: number;
  adminToken: string | null;
  /** The gates' token for POST /tickets/check-in (the admin token works too); null = none. */
  gateToken: string | null;
  maxBodyBytes: number;
  /**
   * Per-buyer token bucket (src/sale/buyer-buckets.ts): purchases a second a named buyer's bucket refills, 0 =
   * off, and how many a full bucket admits at once. Over it: 429 + Retry-After. Anonymous buyers: nginx's
   * per-address limit only (the node does not trust X-Real-IP, a header any direct client could send).
   */
  buyerRate: number;
  buyerBurst: number;
  logLevel: string;
  /** The supervisor's pid (`up` passes its own): when that process is gone the node drains and exits. */
  parentPid: number | null;
  /** Buyer authentication (the buyer is a JWT's sub); null = the demo, where `user` is taken as sent. */
  jwt: { hs256Secret?: string; publicKeyPem?: string; issuer?: string; audience?: string; maxAgeSeconds: number } | null;
  /** The shared secret of the payment system's signed pay callbacks; null = only the admin token pays. */
  paymentSecret: string | null;
  /** The e-ticket key directory (src/tickets/keys.ts); null = a key made in memory, per node process. */
  ticketKeysDir: string | null;
  /** How often the key directory is re-read (besides SIGHUP); 0 = on SIGHUP only. */
  ticketKeysReloadMs: number;
  /** The live dashboard's tick: heartbeat to Redis, and one snapshot pushed to /ws/sales while watched. */
  dashboardMs: number;
}

/** Where Redis is when nothing else says so. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function checkRedisUrl(raw: string): Checked<string> {
  const parsed = parseRedisTarget(raw);
  return typeof parsed === 'string' ? { ok: false, problem: parsed } : { ok: true, value: raw };
}

export function checkDatabaseUrl(raw: string): Checked<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: 'expected a URL like postgresql://user:password@127.0.0.1:5432/db' };
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return { ok: false, problem: `expected a postgres:// or postgresql:// URL, got ${url.protocol}//...` };
  }
  return { ok: true, value: raw };
}

/** --advertise: checked by the node-address rule, kept as written. */
const checkAdvertise = (raw: string): Checked<string> => {
  const checked = checkNodeAddress(raw);
  return checked.ok ? { ok: true, value: raw } : checked;
};

const text = (rule: Parameters<typeof checkText>[0]) => (value: string) => checkText(rule, value);

export const NODE_COMMAND = {
  name: 'ticket-spike node',
  usage: '--port P [options]',
  summary: 'one node: N uWS threads on one port, stock in shared memory, Redis as the authority',
  options: {
    port: { type: 'int', min: PORT.min, max: PORT.max, default: 3001, env: 'PORT', value: 'P', help: 'port every thread listens on' },
    host: { type: 'text', default: '127.0.0.1', value: 'H', help: 'address to listen on', check: (v: string) => (v === '' ? { ok: false, problem: 'expected an address to listen on, e.g. 127.0.0.1 or 0.0.0.0' } : { ok: true, value: v }) },
    threads: { type: 'int', min: 1, max: 256, default: availableParallelism(), help: 'uWS threads (default: one per core)' },
    redis: { type: 'text', env: 'REDIS_URL', value: 'URL', check: checkRedisUrl, url: 'may-carry-password', help: `Redis (default: the Redis of a running \`ticket-spike up\`, else ${DEFAULT_REDIS_URL})` },
    ...AUTHORITY_OPTIONS,
    'allow-unsafe-redis': { type: 'flag', help: 'run on a Redis without maxmemory-policy noeviction or appendonly yes (a warning); without it the process refuses to start (exit 2)' },
    database: { type: 'text', env: 'DATABASE_URL', value: 'URL', check: checkDatabaseUrl, url: 'may-carry-password', help: 'the order store, PostgreSQL (default: none; a URL with a password only by the variable)' },
    id: { type: 'text', value: 'NAME', check: text(NODE_ID), help: 'node id, sent as X-Served-By and the key of its roster entry (default node-<port> on loopback, else node-<advertise>)' },
    weight: { type: 'int', min: 1, max: 1_000_000, default: 1, value: 'W', help: "this node's nginx weight" },
    'total-weight': { type: 'int', min: 1, max: 1_000_000_000, value: 'T', help: "sum of all nodes' weights, fixed (default: the live nodes' sum from the node roster, or --weight with --roster-ms 0)" },
    'roster-ms': { type: 'int', min: 0, max: 60_000, default: 1000, help: "beat into the node roster in Redis (live nodes, their weights and addresses; the weighted split follows nodes joining, leaving and `ticket-spike nodes weight`), 0 = off" },
    advertise: { type: 'text', value: 'HOST:PORT', check: checkAdvertise, help: 'where nginx reaches this node, listed in the roster (default: --host:--port; give it when --host is 0.0.0.0)' },
    'default-sale': { type: 'text', default: 'default', env: 'DEFAULT_SALE', value: 'ID', check: text(SALE_ID), help: 'sale used by /buy/ticket without ?sale=' },
    'stat-log': { type: 'text', value: 'PATH', help: 'append one line per purchase outcome here, in batches (default: off)' },
    'batch-size': { type: 'int', min: BATCH_SIZE.min, max: BATCH_SIZE.max, default: 64, help: 'purchases per Redis call, at most' },
    'batch-window-ms': { type: 'int', min: 0, max: 1000, default: 0, help: 'how long a batch waits to fill; 0 = the same event-loop turn' },
    'batch-in-flight': { type: 'int', min: 1, max: 64, default: 2, help: 'batches per sale on the wire at once; later purchases leave together when a reply returns (group commit)' },
    'deadline-ms': { type: 'int', min: 50, max: 60_000, default: 2000, help: 'a purchase undecided after this is answered 503 + Retry-After' },
    'quota-buffer': { type: 'int', min: 0, max: 1_000_000, default: 8, help: 'units over the weighted share of the remaining stock' },
    'max-sales': { type: 'int', min: MAX_SALES.min, max: MAX_SALES.max, default: DEFAULT_MAX_SALES, help: 'open sales one node can track; at least the sale registry capacity in Redis (set by the first node)' },
    'reconcile-ms': { type: 'int', min: 0, max: 60_000, default: 200, help: 'quota refresh from Redis per sale, 0 = off' },
    'sweep-ms': { type: 'int', min: 0, max: 60_000, default: 500, help: 'expired-hold sweep, 0 = off' },
    'refresh-ms': { type: 'int', min: 0, max: 600_000, default: 2000, help: 're-list sales from Redis, 0 = off' },
    'max-body-bytes': { type: 'int', min: 64, max: 1_048_576, default: 4096, help: 'request body cap, 413 above' },
    'buyer-rate': { type: 'int', min: BUYER_RATE.min, max: BUYER_RATE.max, default: 5, value: 'N', help: 'purchases a second per named buyer (token bucket in shared memory; 429 + Retry-After over it), 0 = off' },
    'buyer-burst': { type: 'int', min: BUYER_BURST.min, max: BUYER_BURST.max, default: 20, value: 'N', help: "purchases a buyer's full bucket admits at once" },
    'log-level': {
      type: 'text',
      default: 'info',
      env: 'LOG_LEVEL',
      value: 'L',
      check: (v: string) => (LOG_LEVELS.includes(v) ? { ok: true, value: v } : { ok: false, problem: `one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(v)}` }),
      help: LOG_LEVELS.join('|'),
    },
    'parent-pid': { type: 'int', min: 2, max: 4_194_304, value: 'PID', help: 'drain and exit when this process is gone (`up` passes its own pid)' },
    'admin-token': { type: 'secret', env: 'ADMIN_TOKEN', minLength: MIN_TOKEN_LENGTH, help: 'token for the /admin routes (without one, admin answers 401)' },
    'gate-token': { type: 'secret', env: 'GATE_TOKEN', minLength: MIN_TOKEN_LENGTH, help: "the gates' token for POST /tickets/check-in (the admin token works too)" },
    'jwt-secret': { type: 'secret', env: 'JWT_SECRET', minLength: MIN_SIGNING_SECRET_LENGTH, help: 'buyer authentication with HS256 tokens signed with this secret' },
    'jwt-public-key-file': { type: 'text', env: 'JWT_PUBLIC_KEY_FILE', value: 'PEM', help: 'buyer authentication with EdDSA (Ed25519 key) or RS256 (RSA key) tokens' },
    'jwt-issuer': { type: 'text', env: 'JWT_ISSUER', value: 'ISS', help: "with buyer authentication: the tokens' required iss" },
    'jwt-audience': { type: 'text', env: 'JWT_AUDIENCE', value: 'AUD', help: "with buyer authentication: the tokens' required aud" },
    'jwt-max-age': {
      type: 'int', min: JWT_MAX_AGE_SECONDS.min, max: JWT_MAX_AGE_SECONDS.max, default: 86_400, env: 'JWT_MAX_AGE', value: 'S',
      help: 'with buyer authentication: tokens living longer than this (exp - iat, or exp - now) are refused, seconds',
    },
    'ticket-keys': { type: 'text', env: 'TICKET_KEYS_DIR', value: 'DIR', help: 'e-ticket key directory (<kid>.pem files, `current` names the signing one; re-read on SIGHUP and every --ticket-keys-reload-ms). Default: a key in memory, per node' },
    'ticket-keys-reload-ms': { type: 'int', min: 0, max: 3_600_000, default: 5000, help: 'how often the key directory is re-read; 0 = on SIGHUP only' },
    'dashboard-ms': { type: 'int', min: 50, max: 10_000, default: 500, help: 'live dashboard tick: heartbeat to Redis, and a snapshot to every /ws/sales socket while one is open' },
    'payment-secret': { type: 'secret', env: 'PAYMENT_WEBHOOK_SECRET', minLength: MIN_SIGNING_SECRET_LENGTH, help: "with buyer authentication: the payment system's callback secret" },
  },
  footer: `With buyer authentication on, the buyer of a purchase is its bearer token's sub, an order is read or cancelled
only by its buyer, and POST /orders/{id}/pay takes the admin token or a Payment-Signature from the payment system.
SIGTERM/SIGINT: stop accepting, finish in-flight purchases, flush logs, exit 0. A second signal exits at once.`,
} as const satisfies CommandSpec;

/** The flags' defaults, by NodeConfig name (documented in `ticket-spike node --help`). */
export const NODE_DEFAULTS = {
  port: NODE_COMMAND.options.port.default,
  threads: NODE_COMMAND.options.threads.default,
  defaultSale: NODE_COMMAND.options['default-sale'].default,
  batchSize: NODE_COMMAND.options['batch-size'].default,
  buyerRate: NODE_COMMAND.options['buyer-rate'].default,
  buyerBurst: NODE_COMMAND.options['buyer-burst'].default,
} as const;

/**
 * Flags and environment -> NodeConfig, or 'help'. `redisUrl` is where Redis is when neither --redis nor
 * REDIS_URL says (the caller's discovery, e.g. a running `up`). Throws ConfigError naming the bad option, or
 * parseArgs' TypeError (ERR_PARSE_ARGS_*) for an unknown flag.
 */
export function buildNodeConfig(argv: string[], env: NodeJS.ProcessEnv, fallbackRedisUrl: () => string): NodeConfig | 'help' {
  const { values: v, help } = parseCommand(NODE_COMMAND, argv, env);
  if (help) return 'help';
  const totalWeight = v['total-weight'] ?? v.weight;
  if (totalWeight < v.weight) {
    throw new ConfigError(
      '--total-weight',
      `must be at least --weight (${v.weight}): it is the sum of the weights of all nodes, got ${totalWeight}`,
    );
  }
  return {
    ...authOf(v['jwt-secret'], v['jwt-public-key-file'], v['jwt-issuer'], v['jwt-audience'], v['payment-secret'], v['jwt-max-age']),
    port: v.port,
    host: v.host,
    threads: v.threads,
    ...authorityOf(v, v.redis, fallbackRedisUrl, v['deadline-ms'] - 100),
    allowUnsafeRedis: v['allow-unsafe-redis'],
    databaseUrl: v.database === undefined || v.database === '' ? null : v.database,
    // Nodes on several hosts share ports: off loopback the default names the address, so ids stay unique.
    id: v.id ?? (v.advertise === undefined && /^127\./.test(v.host) ? `node-${v.port}` : `node-${v.advertise ?? `${v.host}:${v.port}`}`),
    weight: v.weight,
    totalWeight,
    totalWeightPinned: v['total-weight'] !== undefined,
    rosterMs: v['roster-ms'],
    advertise: v.advertise ?? `${v.host}:${v.port}`,
    defaultSale: v['default-sale'],
    statLog: v['stat-log'] === undefined || v['stat-log'] === '' ? null : v['stat-log'],
    batchSize: v['batch-size'],
    batchWindowMs: v['batch-window-ms'],
    batchInFlight: v['batch-in-flight'],
    deadlineMs: v['deadline-ms'],
    quotaBuffer: v['quota-buffer'],
    maxSales: v['max-sales'],
    reconcileMs: v['reconcile-ms'],
    sweepMs: v['sweep-ms'],
    refreshMs: v['refresh-ms'],
    adminToken: v['admin-token'] ?? null,
    gateToken: v['gate-token'] ?? null,
    maxBodyBytes: v['max-body-bytes'],
    buyerRate: v['buyer-rate'],
    buyerBurst: v['buyer-burst'],
    logLevel: v['log-level'],
    parentPid: v['parent-pid'] ?? null,
    ticketKeysReloadMs: v['ticket-keys-reload-ms'],
    dashboardMs: v['dashboard-ms'],
    ticketKeysDir: v['ticket-keys'] === undefined || v['ticket-keys'] === '' ? null : resolve(v['ticket-keys']),
  };
}

/** The authentication settings, checked: one kind of token key, secrets long enough, a readable key file. */
function authOf(
  secret: string | undefined,
  publicKeyFile: string | undefined,
  issuer: string | undefined,
  audience: string | undefined,
  paymentSecret: string | undefined,
  maxAgeSeconds: number,
): Pick<NodeConfig, 'jwt' | 'paymentSecret'> {
  const given = (s: string | undefined): s is string => s !== undefined && s !== '';
  if (given(secret) && given(publicKeyFile)) {
    throw new ConfigError('JWT_SECRET (or --jwt-secret-file)', 'give either an HS256 secret or --jwt-public-key-file, not both');
  }
  let publicKeyPem: string | undefined;
  if (given(publicKeyFile)) {
    try {
      publicKeyPem = readFileSync(publicKeyFile, 'utf8');
    } catch (err) {
      throw new ConfigError('--jwt-public-key-file (or JWT_PUBLIC_KEY_FILE)', `cannot read ${publicKeyFile}: ${(err as Error).message}`);
    }
    if (!publicKeyPem.includes('-----BEGIN PUBLIC KEY-----')) {
      throw new ConfigError('--jwt-public-key-file (or JWT_PUBLIC_KEY_FILE)', `${publicKeyFile} is not an SPKI PEM public key (-----BEGIN PUBLIC KEY-----)`);
    }
  }
  const jwt: NonNullable<NodeConfig['jwt']> = { maxAgeSeconds };
  if (given(secret)) jwt.hs256Secret = secret;
  if (publicKeyPem !== undefined) jwt.publicKeyPem = publicKeyPem;
  if (given(issuer)) jwt.issuer = issuer;
  if (given(audience)) jwt.audience = audience;
  const on = jwt.hs256Secret !== undefined || jwt.publicKeyPem !== undefined;
  if (!on && (given(issuer) || given(audience) || given(paymentSecret))) {
    throw new ConfigError('JWT_SECRET or --jwt-public-key-file', 'the issuer, audience and payment secret apply to buyer authentication: turn it on too');
  }
  return { jwt: on ? jwt : null, paymentSecret: given(paymentSecret) ? paymentSecret : null };
}
