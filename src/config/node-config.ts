import { availableParallelism } from 'node:os';
import { ConfigError } from './errors.js';
import { intOption, redisUrlOption, saleIdOption } from './checks.js';

/**
 * Everything one node needs, fully filled in. Built in three steps (piscina style):
 * raw flags/env (`NodeOptions`, all strings, all optional) -> checked and filled (`NodeConfig`) -> defaults
 * (`NODE_DEFAULTS`, documented in `ticket-spike node --help`).
 */
export interface NodeConfig {
  port: number;
  host: string;
  threads: number;
  redisUrl: string;
  id: string;
  weight: number;
  totalWeight: number;
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
  /** Extra units on top of the node's weighted share of the global remaining (see reconciler.ts). */
  quotaBuffer: number;
  maxSales: number;
  /** Main-thread loops; 0 turns one off (tests use that to count only purchase scripts). */
  reconcileMs: number;
  sweepMs: number;
  refreshMs: number;
  adminToken: string | null;
  maxBodyBytes: number;
  logLevel: string;
}

/** The raw strings from flags and the environment, before any check. */
export interface NodeOptions {
  port?: string;
  host?: string;
  threads?: string;
  redis?: string;
  id?: string;
  weight?: string;
  totalWeight?: string;
  defaultSale?: string;
  statLog?: string;
  batchSize?: string;
  batchWindowMs?: string;
  batchInFlight?: string;
  deadlineMs?: string;
  quotaBuffer?: string;
  maxSales?: string;
  reconcileMs?: string;
  sweepMs?: string;
  refreshMs?: string;
  adminToken?: string;
  maxBodyBytes?: string;
  logLevel?: string;
}

export const NODE_DEFAULTS = {
  port: 3001,
  host: '127.0.0.1',
  threads: availableParallelism(),
  weight: 1,
  defaultSale: 'default',
  batchSize: 64,
  batchWindowMs: 0,
  batchInFlight: 2,
  deadlineMs: 2000,
  quotaBuffer: 8,
  maxSales: 1024,
  reconcileMs: 200,
  sweepMs: 500,
  refreshMs: 2000,
  maxBodyBytes: 4096,
  logLevel: 'info',
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Checks every option and fills the gaps; throws a ConfigError naming the first bad one. */
export function buildNodeConfig(options: NodeOptions, redisUrl: string): NodeConfig {
  const port = intOption('--port (or PORT)', options.port, NODE_DEFAULTS.port, 1, 65535);
  const host = options.host ?? NODE_DEFAULTS.host;
  if (host.length === 0) throw new ConfigError('--host', 'expected an address to listen on, e.g. 127.0.0.1 or 0.0.0.0');
  const threads = intOption('--threads', options.threads, NODE_DEFAULTS.threads, 1, 256);
  const weight = intOption('--weight', options.weight, NODE_DEFAULTS.weight, 1, 1_000_000);
  const totalWeight = intOption('--total-weight', options.totalWeight, weight, 1, 1_000_000_000);
  if (totalWeight < weight) {
    throw new ConfigError(
      '--total-weight',
      `must be at least --weight (${weight}): it is the sum of the weights of all nodes, got ${totalWeight}`,
    );
  }
  const id = options.id ?? `node-${port}`;
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) {
    throw new ConfigError('--id', `1-64 characters of A-Z a-z 0-9 _ . : -, got ${JSON.stringify(id)}`);
  }
  const logLevel = options.logLevel ?? NODE_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('--log-level (or LOG_LEVEL)', `one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  const statLog = options.statLog === undefined || options.statLog === '' ? null : options.statLog;
  const adminToken = options.adminToken === undefined || options.adminToken === '' ? null : options.adminToken;
  return {
    port,
    host,
    threads,
    redisUrl: redisUrlOption('--redis (or REDIS_URL)', redisUrl),
    id,
    weight,
    totalWeight,
    defaultSale: saleIdOption('--default-sale', options.defaultSale, NODE_DEFAULTS.defaultSale),
    statLog,
    batchSize: intOption('--batch-size', options.batchSize, NODE_DEFAULTS.batchSize, 1, 1000),
    batchWindowMs: intOption('--batch-window-ms', options.batchWindowMs, NODE_DEFAULTS.batchWindowMs, 0, 1000),
    batchInFlight: intOption('--batch-in-flight', options.batchInFlight, NODE_DEFAULTS.batchInFlight, 1, 64),
    deadlineMs: intOption('--deadline-ms', options.deadlineMs, NODE_DEFAULTS.deadlineMs, 50, 60_000),
    quotaBuffer: intOption('--quota-buffer', options.quotaBuffer, NODE_DEFAULTS.quotaBuffer, 0, 1_000_000),
    maxSales: intOption('--max-sales', options.maxSales, NODE_DEFAULTS.maxSales, 1, 65_536),
    reconcileMs: intOption('--reconcile-ms', options.reconcileMs, NODE_DEFAULTS.reconcileMs, 0, 60_000),
    sweepMs: intOption('--sweep-ms', options.sweepMs, NODE_DEFAULTS.sweepMs, 0, 60_000),
    refreshMs: intOption('--refresh-ms', options.refreshMs, NODE_DEFAULTS.refreshMs, 0, 600_000),
    adminToken,
    maxBodyBytes: intOption('--max-body-bytes', options.maxBodyBytes, NODE_DEFAULTS.maxBodyBytes, 64, 1_048_576),
    logLevel,
  };
}
