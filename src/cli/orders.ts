import { AUTHORITY_OPTIONS, authorityOf } from '../config/authority-options.js';
import { ConfigError } from '../config/errors.js';
import { NODE_COMMAND } from '../config/node-config.js';
import { parseCommand, type CommandSpec } from '../config/options.js';
import type { Command } from './command.js';
import { DATABASE_OPTION, discoveredDatabaseUrl } from './database-url.js';
import { IDEMPOTENCY_KEY_WINDOW_SECONDS } from '../sale/engine.js';
import { discoveredRedisUrl, REDIS_OPTION } from './redis-url.js';


export const ORDERS_WORKER_COMMAND = {
  name: 'ticket-spike orders-worker',
  usage: '[--redis URL] [--database URL] [options]',
  summary: "carries every sale's orders from its Redis stream into PostgreSQL (several may run at once)",
  options: {
    redis: REDIS_OPTION,
    ...AUTHORITY_OPTIONS,
    'allow-unsafe-redis': NODE_COMMAND.options['allow-unsafe-redis'],
    database: DATABASE_OPTION,
    batch: { type: 'int', min: 1, max: 1000, default: 100, help: 'stream entries per read (each names up to a batch of orders)' },
    'claim-idle-ms': { type: 'int', min: 100, max: 3_600_000, default: 30_000, help: "take over entries another worker read but did not acknowledge for this long (it died)" },
    'idem-window-ms': {
      type: 'int',
      min: 0,
      max: 604_800_000,
      default: IDEMPOTENCY_KEY_WINDOW_SECONDS * 1000,
      help: "how long a retired order's idempotency record stays in Redis, so a buyer's retry still gets the order back",
    },
    'idle-ms': { type: 'int', min: 1, max: 10_000, default: 100, help: 'pause after a pass that found less than a full batch (entries gather: fewer, larger commits)' },
    'dormant-check-ms': {
      type: 'int',
      min: 100,
      max: 3_600_000,
      default: 60_000,
      help: 'a finished sale whose orders are all in PostgreSQL is no longer polled every pass: looked at again this long after its last look (one such sale per pass)',
    },
    'metrics-port': { type: 'int', min: 0, max: 65_535, default: 0, value: 'P', help: "serve the worker's Prometheus metrics on GET /metrics at this port (0: none)" },
    'metrics-host': { type: 'text', default: '127.0.0.1', value: 'H', help: 'address the metrics port listens on' },
    'ticket-keys': { type: 'text', env: 'TICKET_KEYS_DIR', value: 'DIR', help: "the nodes' e-ticket key directory: each paid order is stored with its signed ticket (default: none)" },
    consumer: { type: 'text', value: 'NAME', help: 'consumer name in the groups (default <host>-<pid>)' },
    'parent-pid': { type: 'int', min: 1, max: 4_194_304, value: 'PID', help: 'stop when this process is gone (up passes its own)' },
    'log-level': NODE_COMMAND.options['log-level'],
  },
  footer: `SIGINT / SIGTERM: finish the batch in hand and exit 0.
Per batch: read (its own unacknowledged entries first, then XAUTOCLAIM a dead worker's, then new ones), one
multi-row upsert, retire the final orders from Redis, then XACK. Every step may be repeated safely. A sale that
fails is logged, counted (ticket_spike_worker_sale_errors_total{sale}) and retried on its own; the others go on.`,
} as const satisfies CommandSpec;

export const ORDERS_STATUS_COMMAND = {
  name: 'ticket-spike orders status',
  usage: '[--sale S] [--json] [--redis URL] [--database URL]',
  summary: "how far the order workers are behind, per sale, and the orders PostgreSQL holds",
  options: {
    redis: REDIS_OPTION,
    database: DATABASE_OPTION,
    sale: { type: 'text', value: 'S', help: 'one sale (default: every sale)' },
    json: { type: 'flag', help: 'one JSON document on stdout' },
  },
} as const satisfies CommandSpec;

/** `ticket-spike orders-worker`, for the dispatch (src/cli/commands.ts). */
export const ORDERS_WORKER_COMMANDS: readonly Command[] = [{ spec: ORDERS_WORKER_COMMAND, run: runOrdersWorkerCommand }];

/** `ticket-spike orders status`, for the dispatch (src/cli/commands.ts). */
export const ORDERS_COMMANDS: readonly Command[] = [{ spec: ORDERS_STATUS_COMMAND, run: runOrdersStatusCommand }];

/** `ticket-spike orders-worker` */
export async function runOrdersWorkerCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v } = parseCommand(ORDERS_WORKER_COMMAND, argv, env);
  const databaseUrl = discoveredDatabaseUrl(v.database, env);
  if (databaseUrl === undefined) throw new ConfigError('--database', 'give the order store: --database URL or DATABASE_URL (or run `ticket-spike up`)');
  const { runWorker } = await import('../node/worker/run-worker.js');
  // The worker waits for the replicas at most its command timeout (5 s): a longer WAIT would be cut off by it.
  const authority = authorityOf(v, v.redis, () => discoveredRedisUrl(env), 5000);
  const code = await runWorker({
    redisUrl: authority.redisUrl,
    confirm: authority.confirm,
    allowUnsafeRedis: v['allow-unsafe-redis'],
    databaseUrl,
    batch: v.batch,
    claimIdleMs: v['claim-idle-ms'],
    idemWindowMs: v['idem-window-ms'],
    idleMs: v['idle-ms'],
    refreshMs: 2000,
    dormantCheckMs: v['dormant-check-ms'],
    metricsPort: v['metrics-port'],
    metricsHost: v['metrics-host'],
    logLevel: v['log-level'],
    ...(v.consumer !== undefined ? { consumer: v.consumer } : {}),
    ...(v['ticket-keys'] !== undefined ? { ticketKeysDir: v['ticket-keys'] } : {}),
    ...(v['parent-pid'] !== undefined ? { parentPid: v['parent-pid'] } : {}),
  });
  // Everything it opened is closed by now; what is left must not keep a finished worker alive. Seen: an ioredis
  // reconnect timer (Redis stopped by up's watchdog mid-shutdown) kept an orphaned worker running for hours.
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}

/** `ticket-spike orders status` */
export async function runOrdersStatusCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v } = parseCommand(ORDERS_STATUS_COMMAND, argv, env);
  const { ordersStatus, formatOrdersStatus } = await import('./orders-status.js');
  const report = await ordersStatus(v.redis ?? discoveredRedisUrl(env), discoveredDatabaseUrl(v.database, env), v.sale);
  process.stdout.write(v.json ? `${JSON.stringify(report, null, 2)}\n` : formatOrdersStatus(report));
  return 0;
}
