import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LaunchError } from './errors.js';
import { runningFromSource } from './paths.js';
import { httpReady } from './probe.js';
import type { ChildSpec } from './supervisor.js';

/** The export condition under which workspace packages resolve to TypeScript source (see package.json). */
export const SOURCE_CONDITION = 'ticket-spike-source';

export interface NodePlan {
  id: string;
  port: number;
  weight: number;
}

/** Ports and weights for N nodes: node-<port> on portBase, portBase+1, ... */
export function planNodes(portBase: number, weights: number[]): NodePlan[] {
  return weights.map((weight, i) => ({ id: `node-${portBase + i}`, port: portBase + i, weight }));
}

/**
 * How to run one of the project's entry modules (`cli/main`, `launcher/watchdog-main`) the same way `up`
 * itself runs — from TypeScript source through tsx (tests, `node --import tsx src/cli/main.ts up`) or from
 * the compiled dist/ (`npm start`). `main` is the entry file: the part of the cmdline that says it is ours.
 */
export function entryCommand(projectRoot: string, module: string): { command: string; args: string[]; main: string } {
  if (runningFromSource()) {
    const main = join(projectRoot, 'src', `${module}.ts`);
    // Keep the export condition `up` itself runs under (so native-free-shm resolves to its TypeScript
    // source, as in tests); the project's condition name when none was given.
    const conditions = process.execArgv.filter((a) => a.startsWith('--conditions=') || a.startsWith('-C='));
    if (conditions.length === 0) conditions.push(`--conditions=${SOURCE_CONDITION}`);
    return { command: process.execPath, args: ['--import', 'tsx', ...conditions, main], main };
  }
  const main = join(projectRoot, 'dist', 'src', `${module}.js`);
  if (!existsSync(main)) {
    throw new LaunchError('START_FAILED', `${main} is missing: run npm run build first (npm start does it for you)`);
  }
  return { command: process.execPath, args: [main], main };
}

/** How to run `ticket-spike node`. */
export function nodeCommand(projectRoot: string): { command: string; args: string[]; main: string } {
  return entryCommand(projectRoot, 'cli/main');
}

export interface NodeSpecOptions {
  projectRoot: string;
  node: NodePlan;
  totalWeight: number;
  redisUrl: string;
  /** With `up --redis-replicas N`: a write is confirmed once N replicas have it (CONFIRM_REPLICAS). */
  confirmReplicas?: number;
  /** The order store; '' = none (the node runs with its PostgreSQL features off). */
  databaseUrl?: string;
  adminToken: string;
  defaultSale: string;
  threads: number | undefined;
  /** Per-buyer limit flags (--buyer-rate, --buyer-burst); the node's defaults when absent. */
  buyerRate?: number;
  buyerBurst?: number;
  logFile: string;
  /** `up`'s pid: the node drains and exits when that process is gone (src/node/main/parent-watch.ts). */
  parentPid?: number;
  /** The shared e-ticket key directory (--ticket-keys). */
  ticketKeysDir?: string;
  extraArgs?: string[];
}

export function nodeSpec(o: NodeSpecOptions): ChildSpec {
  const { command, args, main } = nodeCommand(o.projectRoot);
  const flags = [
    'node',
    '--port', String(o.node.port),
    '--id', o.node.id,
    ...(o.parentPid !== undefined ? ['--parent-pid', String(o.parentPid)] : []),
    '--weight', String(o.node.weight),
    '--total-weight', String(o.totalWeight),
    '--default-sale', o.defaultSale,
  ];
  if (o.threads !== undefined) flags.push('--threads', String(o.threads));
  if (o.buyerRate !== undefined) flags.push('--buyer-rate', String(o.buyerRate));
  if (o.buyerBurst !== undefined) flags.push('--buyer-burst', String(o.buyerBurst));
  if (o.ticketKeysDir !== undefined) flags.push('--ticket-keys', o.ticketKeysDir);
  return {
    name: o.node.id,
    command,
    args: [...args, ...flags, ...(o.extraArgs ?? [])],
    // Node keeps its argv as given: the entry file, this node's port and id, and the `up` it belongs to.
    cmdlineHas: [main, flags.slice(0, o.parentPid !== undefined ? 7 : 5).join(' ')],
    cwd: o.projectRoot,
    // The admin token and the Redis and database URLs (their passwords) go by environment, not argv (argv is
    // visible in ps to every user; a node refuses a URL with a password as a flag).
    env: {
      ...process.env,
      REDIS_URL: o.redisUrl,
      ADMIN_TOKEN: o.adminToken,
      ...(o.databaseUrl ? { DATABASE_URL: o.databaseUrl } : {}),
      ...(o.confirmReplicas ? { CONFIRM_REPLICAS: String(o.confirmReplicas) } : {}),
    },
    logFile: o.logFile,
    // SIGTERM: the node stops accepting, drains in-flight purchases, closes its listen sockets, exits 0.
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    ready: (signal) => httpReady(o.node.port, '/readyz', signal),
    readyTimeoutMs: 30_000,
  };
}
