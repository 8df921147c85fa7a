import { availableParallelism } from 'node:os';
import { ConfigError } from '../config/errors.js';
import { NODE_COMMAND, checkDatabaseUrl, checkRedisUrl } from '../config/node-config.js';
import { helpText, parseCommand, type CommandSpec } from '../config/options.js';
import { LaunchError } from '../launcher/errors.js';
import { Interrupted, Launcher } from '../launcher/launcher.js';
import { createLauncherLog } from '../launcher/log.js';
import type { UpOptions } from '../launcher/options.js';
import { findProjectRoot, resolveVarDir } from '../launcher/paths.js';
import { checkAddressRanges, checkTrustedProxies, LOOPBACK_RANGES, NO_ADDRESSES } from '../rules/address-ranges.js';
import { IP_BURST, IP_RATE, MIN_TOKEN_LENGTH, PORT } from '../rules/input-rules.js';
import type { Command } from './command.js';

export const UP_COMMAND = {
  name: 'ticket-spike up',
  usage: '[options]            (npm start runs this)',
  summary: 'the production-style local run: Redis, PostgreSQL, N nodes, nginx weighted in front, a demo sale',
  options: {
    nodes: { type: 'int', min: 1, max: 64, value: 'N', help: 'nodes to run (default 4, or one per --weights item)' },
    weights: { type: 'int-list', min: 1, max: 1000, value: 'LIST', help: 'nginx weights, one per node (default 1,2,3,4; for other --nodes: 1,2,..,N)' },
    port: { type: 'int', min: PORT.min, max: PORT.max, default: 8080, value: 'P', help: 'nginx port buyers use' },
    'port-base': { type: 'int', min: PORT.min, max: PORT.max, default: 3001, value: 'P', help: 'first node port; nodes listen on P, P+1, ...' },
    threads: { type: 'int', min: 1, max: 256, help: 'uWS threads per node (default max(1, cores / nodes))' },
    redis: { type: 'text', env: 'REDIS_URL', value: 'URL', check: checkRedisUrl, url: 'may-carry-password', help: 'use this Redis instead of the embedded one; not supervised' },
    'redis-port': { type: 'int', min: PORT.min, max: PORT.max, value: 'P', help: 'embedded Redis port (default 6380, or a free port if 6380 is taken)' },
    'redis-replicas': {
      type: 'int', min: 0, max: 4, default: 0, value: 'N',
      help: 'embedded Redis replicas: a master, N replicas and three Sentinels (0 = one Redis); a write is confirmed once all N have it',
    },
    'redis-down-after-ms': { type: 'int', min: 100, max: 600_000, default: 5000, value: 'MS', help: "with --redis-replicas: how long the Sentinels wait for a silent master before a failover" },
    database: { type: 'text', env: 'DATABASE_URL', value: 'URL', check: checkDatabaseUrl, url: 'may-carry-password', help: 'use this PostgreSQL (order store) instead of the embedded one; not supervised' },
    'postgres-port': { type: 'int', min: PORT.min, max: PORT.max, value: 'P', help: 'embedded PostgreSQL port (default 5433, or a free port if 5433 is taken)' },
    'orders-workers': { type: 'int', min: 0, max: 16, default: 1, value: 'N', help: 'order workers carrying orders from Redis into PostgreSQL (0 = none: orders stay in Redis)' },
    fresh: { type: 'flag', help: 'start from an empty var dir (removes Redis and PostgreSQL data — as root also /var/lib/ticket-spike/<hash> — logs, nginx files); refused while children of a crashed up still run or a PostgreSQL uses the data' },
    'var-dir': { type: 'text', env: 'TICKET_SPIKE_VAR', value: 'DIR', help: 'runtime files (default <project>/var)' },
    'demo-total': { type: 'int', min: 1, max: 100_000_000, default: 10_000, help: 'tickets in the demo sale when it is created' },
    'nginx-workers': { type: 'int', min: 1, max: 64, help: 'nginx worker_processes (default min(2, cores))' },
    'ip-rate': { type: 'int', min: IP_RATE.min, max: IP_RATE.max, default: 50, value: 'N', help: 'nginx: purchase requests a second per client address (limit_req; 429 + Retry-After over it), 0 = off' },
    'ip-burst': { type: 'int', min: IP_BURST.min, max: IP_BURST.max, default: 100, value: 'N', help: 'nginx: purchase requests per address answered at once above the rate' },
    'ip-rate-exempt': {
      type: 'text', default: LOOPBACK_RANGES.join(','), value: 'CIDR,...', check: checkAddressRanges,
      help: `nginx: client addresses no per-address limit applies to (rates and the requests-in-progress cap); by default this machine, so ab and wrk here are not taken for one abusive client; ${NO_ADDRESSES} = limit every address`,
    },
    'trusted-proxy': {
      type: 'text', default: NO_ADDRESSES, value: 'CIDR,...', check: checkTrustedProxies,
      help: 'nginx: load balancers / CDNs whose X-Forwarded-For names the client (set_real_ip_from each, real_ip_recursive on); without one the client is the TCP peer and the header is ignored',
    },
    // The node's own definitions (range, default, help), passed to every node.
    'buyer-rate': NODE_COMMAND.options['buyer-rate'],
    'buyer-burst': NODE_COMMAND.options['buyer-burst'],
  },
  footer: `Per-address limits: a load generator on this machine (ab, wrk) is exempt by default (--ip-rate-exempt);
from another machine add its address there. Behind a load balancer or CDN every buyer arrives from its address:
name it with --trusted-proxy (e.g. --trusted-proxy 10.0.0.0/8), or all buyers share one limit.
Env: ADMIN_TOKEN (made and printed when unset), LOG_LEVEL.
Ctrl-C (SIGINT) or SIGTERM stops nginx, the nodes (they drain), the order workers (their last batch), Redis and
PostgreSQL, and removes <var>/up.json. If up dies, the nodes and workers exit by themselves and a watchdog stops the
rest; the next up stops what is still left (checked by pid and command line) and keeps the data.`,
} as const satisfies CommandSpec;

export const UP_HELP = helpText(UP_COMMAND);

/** `ticket-spike up`, for the dispatch (src/cli/commands.ts). */
export const UP_COMMANDS: readonly Command[] = [{ spec: UP_COMMAND, run: runUp }];

/** Flags and environment -> UpOptions, or 'help'. Throws ConfigError naming the flag. */
export function parseUpArgs(argv: string[], env: NodeJS.ProcessEnv, cores = availableParallelism()): UpOptions | 'help' {
  const { values: v, help } = parseCommand(UP_COMMAND, argv, env);
  if (help) return 'help';
  const weights = v.weights ?? Array.from({ length: v.nodes ?? 4 }, (_, i) => i + 1);
  if (v.nodes !== undefined && weights.length !== v.nodes) {
    throw new ConfigError('--weights', `has ${weights.length} items but --nodes is ${v.nodes}; give one weight per node`);
  }
  const count = weights.length;
  if (v['port-base'] + count - 1 > PORT.max) {
    throw new ConfigError('--port-base', `${count} nodes from ${v['port-base']} run past port ${PORT.max}; lower it`);
  }
  if (v.port >= v['port-base'] && v.port < v['port-base'] + count) {
    throw new ConfigError('--port', `${v.port} falls inside the node ports ${v['port-base']}-${v['port-base'] + count - 1}; move --port or --port-base`);
  }
  if (v.redis !== undefined && v['redis-port'] !== undefined) {
    throw new ConfigError('--redis-port', 'is for the embedded Redis; it cannot be combined with --redis / REDIS_URL');
  }
  if (v.redis !== undefined && v['redis-replicas'] > 0) {
    throw new ConfigError('--redis-replicas', 'is for the embedded Redis; with --redis / REDIS_URL give the nodes your own replicated Redis (redis-sentinel://...)');
  }
  if (v.database !== undefined && v['postgres-port'] !== undefined) {
    throw new ConfigError('--postgres-port', 'is for the embedded PostgreSQL; it cannot be combined with --database / DATABASE_URL');
  }
  const token = env['ADMIN_TOKEN'];
  // The nodes refuse short tokens at start (src/config/node-config.ts); refused here first, with one message.
  for (const name of ['ADMIN_TOKEN', 'GATE_TOKEN'] as const) {
    const value = env[name];
    if (value !== undefined && value !== '' && value.length < MIN_TOKEN_LENGTH) {
      throw new ConfigError(name, `use at least ${MIN_TOKEN_LENGTH} characters (got ${value.length}): e.g. openssl rand -base64 24`);
    }
  }
  return {
    nodes: count,
    weights,
    port: v.port,
    portBase: v['port-base'],
    redisPort: v['redis-port'] ?? 'auto',
    redisUrl: v.redis,
    redisReplicas: v['redis-replicas'],
    redisDownAfterMs: v['redis-down-after-ms'],
    postgresPort: v['postgres-port'] ?? 'auto',
    ordersWorkers: v['orders-workers'],
    databaseUrl: v.database === '' ? undefined : v.database,
    threads: v.threads ?? Math.max(1, Math.floor(cores / count)),
    fresh: v.fresh,
    varDir: v['var-dir'],
    demoTotal: v['demo-total'],
    nginxWorkers: v['nginx-workers'] ?? Math.min(2, Math.max(1, cores)),
    ipRate: v['ip-rate'],
    ipBurst: v['ip-burst'],
    ipRateExempt: v['ip-rate-exempt'],
    trustedProxies: v['trusted-proxy'],
    buyerRate: v['buyer-rate'],
    buyerBurst: v['buyer-burst'],
    adminToken: token === undefined || token === '' ? undefined : token,
  };
}

/**
 * `ticket-spike up`: the production-style local run (see src/launcher/launcher.ts). Resolves with the exit
 * code once everything has stopped: 0 after Ctrl-C / SIGTERM, 1 when start failed (one line on stderr,
 * no stack trace); bad flags throw ConfigError (exit 2).
 */
export async function runUp(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const options = parseUpArgs(argv, env);
  if (options === 'help') {
    process.stdout.write(UP_HELP);
    return 0;
  }
  let launcher: Launcher | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (launcher === undefined) return;
    process.stderr.write(`ticket-spike up: ${sig}: stopping nginx, the nodes, the order workers, Redis and PostgreSQL...\n`);
    launcher.interrupt();
    stopRequested();
  };
  let stopRequested: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve));
  const onExit = () => launcher?.killAllNow();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('exit', onExit);
  try {
    const projectRoot = findProjectRoot();
    const varDir = resolveVarDir(projectRoot, options.varDir, env);
    launcher = new Launcher(options, projectRoot, varDir, createLauncherLog(env['LOG_LEVEL'] ?? 'info'));
    try {
      await launcher.start();
    } catch (err) {
      await launcher.stop();
      if (err instanceof Interrupted) return 0;
      throw err;
    }
    process.stdout.write(launcher.summary());
    await stopSignal;
    await launcher.stop();
    process.stderr.write('ticket-spike up: stopped.\n');
    return 0;
  } catch (err) {
    if (err instanceof LaunchError) {
      process.stderr.write(`ticket-spike up: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('exit', onExit);
  }
}
