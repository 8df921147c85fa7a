import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { LaunchError } from './errors.js';

export interface UpOptions {
  nodes: number;
  weights: number[];
  /** nginx's port (buyers). */
  port: number;
  /** First node port; nodes use portBase .. portBase+nodes-1. */
  portBase: number;
  /** Embedded Redis port; `auto` = 6380, or a free port when 6380 is taken. */
  redisPort: number | 'auto';
  /** An external Redis (REDIS_URL or --redis): then no embedded one, and it is not supervised. */
  redisUrl: string | undefined;
  /** uWS threads per node; default max(1, cores / nodes). */
  threads: number;
  fresh: boolean;
  varDir: string | undefined;
  demoTotal: number;
  nginxWorkers: number;
  help: boolean;
}

export const UP_DEFAULTS = {
  nodes: 4,
  port: 8080,
  portBase: 3001,
  redisPort: 6380,
  demoTotal: 10_000,
} as const;

export const UP_HELP = `ticket-spike up — the production-style local run: Redis, N nodes, nginx weighted in front

Usage: ticket-spike up [options]            (npm start runs this)

  --nodes N          nodes to run (default 4)
  --weights LIST     nginx weights, one per node (default 1,2,3,4; for other --nodes: 1,2,..,N)
  --port P           nginx port buyers use (default 8080)
  --port-base P      first node port; nodes listen on P, P+1, ... (default 3001)
  --threads N        uWS threads per node (default max(1, cores / nodes))
  --redis URL        use this Redis instead of the embedded one (also: REDIS_URL); not supervised
  --redis-port P     embedded Redis port (default 6380, or a free port if 6380 is taken)
  --fresh            start from an empty var dir (removes Redis data, logs, nginx files)
  --var-dir DIR      runtime files (default <project>/var; also: TICKET_SPIKE_VAR)
  --demo-total N     tickets in the demo sale when it is created (default 10000)
  --nginx-workers N  nginx worker_processes (default min(2, cores))
  -h, --help         this text

Env: ADMIN_TOKEN (made and printed when unset), REDIS_URL, TICKET_SPIKE_VAR, LOG_LEVEL.
Ctrl-C (SIGINT) or SIGTERM stops nginx, the nodes (they drain) and Redis, and removes <var>/up.json.
`;

const FLAGS = {
  nodes: { type: 'string' },
  weights: { type: 'string' },
  port: { type: 'string' },
  'port-base': { type: 'string' },
  threads: { type: 'string' },
  redis: { type: 'string' },
  'redis-port': { type: 'string' },
  fresh: { type: 'boolean' },
  'var-dir': { type: 'string' },
  'demo-total': { type: 'string' },
  'nginx-workers': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function int(flag: string, raw: string | undefined, fallback: number, lo: number, hi: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new LaunchError('BAD_FLAG', `${flag}: expected an integer from ${lo} to ${hi}, got ${JSON.stringify(raw)}`, 2);
  const n = Number(raw);
  if (n < lo || n > hi) throw new LaunchError('BAD_FLAG', `${flag}: expected an integer from ${lo} to ${hi}, got ${n}`, 2);
  return n;
}

export function parseUpArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): UpOptions {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new LaunchError('BAD_FLAG', `${(err as Error).message} (see ticket-spike up --help)`, 2);
  }
  const nodes = int('--nodes', values.nodes, UP_DEFAULTS.nodes, 1, 64);
  let weights: number[];
  if (values.weights !== undefined) {
    weights = values.weights.split(',').map((w, i) => int(`--weights (item ${i + 1})`, w.trim(), 1, 1, 1000));
    if (values.nodes === undefined) {
      // --weights alone decides the node count.
    } else if (weights.length !== nodes) {
      throw new LaunchError('BAD_FLAG', `--weights has ${weights.length} items but --nodes is ${nodes}; give one weight per node`, 2);
    }
  } else {
    weights = Array.from({ length: nodes }, (_, i) => i + 1);
  }
  const count = weights.length;
  const port = int('--port', values.port, UP_DEFAULTS.port, 1, 65535);
  const portBase = int('--port-base', values['port-base'], UP_DEFAULTS.portBase, 1, 65535 - count + 1);
  if (port >= portBase && port < portBase + count) {
    throw new LaunchError('BAD_FLAG', `--port ${port} falls inside the node ports ${portBase}-${portBase + count - 1}; move --port or --port-base`, 2);
  }
  const redisUrl = values.redis ?? (env['REDIS_URL'] !== undefined && env['REDIS_URL'] !== '' ? env['REDIS_URL'] : undefined);
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new LaunchError('BAD_FLAG', `--redis / REDIS_URL: expected redis://host:port, got ${JSON.stringify(redisUrl)}`, 2);
  }
  if (redisUrl !== undefined && values['redis-port'] !== undefined) {
    throw new LaunchError('BAD_FLAG', '--redis-port is for the embedded Redis; it cannot be combined with --redis / REDIS_URL', 2);
  }
  return {
    nodes: count,
    weights,
    port,
    portBase,
    redisPort: values['redis-port'] === undefined ? 'auto' : int('--redis-port', values['redis-port'], UP_DEFAULTS.redisPort, 1, 65535),
    redisUrl,
    threads: int('--threads', values.threads, Math.max(1, Math.floor(cores / count)), 1, 256),
    fresh: values.fresh === true,
    varDir: values['var-dir'],
    demoTotal: int('--demo-total', values['demo-total'], UP_DEFAULTS.demoTotal, 1, 100_000_000),
    nginxWorkers: int('--nginx-workers', values['nginx-workers'], Math.min(2, Math.max(1, cores)), 1, 64),
    help: values.help === true,
  };
}
