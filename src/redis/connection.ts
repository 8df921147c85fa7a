import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { guardMaster, keepConnecting } from './master-guard.js';
import { defineScripts } from './scripts.js';
import { parseRedisTarget } from '../rules/redis-target.js';

/**
 * Connections to the authority.
 *
 * Policy (docs/architecture.md, "Settings that bite"):
 * - enableOfflineQueue: false — while disconnected a command fails at once (-> 503) instead of queueing.
 * - maxRetriesPerRequest: 1 — a command in flight when the connection drops is retried at most once.
 * - commandTimeout (default 1000 ms) — a stalled Redis fails fast. A timeout or a connection error means
 *   the OUTCOME IS UNKNOWN: the script may or may not have run (the request may sit in a socket buffer and
 *   run later). Resolve it by idempotency key / order id (GET /orders/{id}), never report it as failed-for-sure.
 * - autoResendUnfulfilledCommands stays on: ioredis re-sends in-flight commands after a reconnect, and
 *   reserve-batch makes that a no-op by storing each decided batch under its batch id.
 * - reconnect with capped exponential backoff (50 ms doubling, at most 2 s).
 * - every lua/ script is defined on the client; NOSCRIPT (restart, SCRIPT FLUSH) is answered by ioredis
 *   re-sending the script body, so it never reaches callers.
 *
 * Durability (Redis 7.0 has no WAITAOF): the embedded Redis runs `appendonly yes` + `appendfsync always`,
 * so a reply to a script means its writes were fsynced to the AOF first ("success only after Redis has
 * recorded the order" survives a power cut, not just kill -9). Redis fsyncs once per event-loop
 * iteration, before it writes the replies, so one fsync covers a whole batch (and every other command read
 * in that iteration): batching amortizes it.
 * Cost, measured by `node --import tsx bench/redis/batch-vs-single.ts` (bench/results/redis-batch.json,
 * 2-core VM shared with other work, 256 concurrent buyers, best of 2 rounds):
 *   batched (maxBatch 128):   always 79,200 purchases/s   everysec 78,400/s   (Redis CPU 8.3-8.5 vs 7.9-8.1 µs
 *                             per purchase: always costs ~5 % CPU and no measurable throughput)
 *   one script per purchase:  always 24,100/s             everysec 35,200/s   (~30 µs Redis CPU per purchase)
 * `everysec` could lose up to ~1 s of confirmed sales on a machine crash, for no gain once batched; we
 * choose `always`. (With a slow disk the fsync grows, but stays one per event-loop iteration.)
 */
export interface RedisTarget {
  url?: string;
  cluster?: { host: string; port: number }[];
}

export interface ConnectOptions {
  /** Per-command timeout in ms (default 1000). */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME, visible in CLIENT LIST. */
  name?: string;
  /** Connection-level errors (refused, reset, ...), e.g. for a log or a metric. Commands fail on their own. */
  onError?: (err: Error) => void;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;

/** Through Sentinels: the least time a socket may owe a reply before it is taken for a hung master and dropped. */
export const SENTINEL_SOCKET_TIMEOUT_MS = 3000;

export function reconnectDelay(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 6), 2000);
}

function baseOptions(options: ConnectOptions): RedisOptions {
  const commandTimeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!Number.isInteger(commandTimeout) || commandTimeout < 1) {
    throw new TypeError(`connectRedis: commandTimeoutMs must be a positive integer, got ${commandTimeout}`);
  }
  const o: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout,
    connectTimeout: 2000,
    autoResendUnfulfilledCommands: true,
    retryStrategy: reconnectDelay,
  };
  if (options.name !== undefined) o.connectionName = options.name;
  return o;
}

export function connectRedis(target: RedisTarget | string, options: ConnectOptions = {}): Redis | Cluster {
  const t: RedisTarget = typeof target === 'string' ? { url: target } : target;
  const base = baseOptions(options);
  let client: Redis | Cluster;
  if (t.cluster !== undefined && t.cluster.length > 0) {
    const { retryStrategy: _ignored, enableOfflineQueue: _ignored2, ...redisOptions } = base;
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      redisOptions,
      clusterRetryStrategy: reconnectDelay,
      scaleReads: 'master',
      slotsRefreshTimeout: 2000,
    };
    client = new Cluster(t.cluster, clusterOptions);
  } else if (t.url !== undefined) {
    const parsed = parseRedisTarget(t.url);
    if (typeof parsed === 'string') throw new TypeError(`connectRedis: ${parsed}`);
    if (parsed.kind === 'sentinel') {
      client = new Redis({
        ...base,
        sentinels: parsed.sentinels,
        name: parsed.masterName,
        ...(parsed.password !== undefined ? { password: parsed.password, sentinelPassword: parsed.password } : {}),
        // +switch-master from any Sentinel drops the connection at once, so the client asks the Sentinels for the
        // new master instead of waiting for the old one's socket to fail.
        failoverDetector: true,
        // A master that hangs (SIGSTOP, a dead host with no RST) never closes the socket: commands only time out.
        // A socket that owes a reply this long (3 s, or twice the command timeout) is destroyed, so the client
        // reconnects through the Sentinels (ioredis issues #1314, #556: otherwise it stays on the hung master).
        socketTimeout: Math.max(SENTINEL_SOCKET_TIMEOUT_MS, 2 * (base.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS)),
        sentinelRetryStrategy: reconnectDelay,
        // A client that missed +switch-master (its Sentinel was cut off with the old master) is still connected to
        // the old master once the link is back — now a replica, refusing every write with READONLY. Reconnecting
        // asks the Sentinels again. 1: reconnect without re-sending (a refused command did nothing; its caller sees
        // the error, an unknown outcome its retry resolves). Found by the split brain across hosts (issue 20): the
        // order worker stayed on the demoted master and carried nothing more.
        reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 1 : false),
      });
      guardMaster(client);
      keepConnecting(client, reconnectDelay);
    } else {
      client = new Redis(parsed.url, base);
    }
  } else {
    throw new TypeError('connectRedis: give a url ("redis://host:port") or a cluster node list');
  }
  // Errors surface on the commands; an 'error' listener keeps a reconnecting client from crashing the process.
  const onError = options.onError;
  client.on('error', (err: Error) => onError?.(err));
  defineScripts(client);
  return client;
}

/** Resolves once the client is ready for commands (with enableOfflineQueue off, commands before fail). */
export function whenReady(client: Redis | Cluster, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis not ready within ${timeoutMs} ms (status ${client.status}); is it running?`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** connectRedis + whenReady. */
export async function connectRedisReady(
  target: RedisTarget | string,
  options: ConnectOptions & { readyTimeoutMs?: number } = {},
): Promise<Redis | Cluster> {
  const client = connectRedis(target, options);
  try {
    await whenReady(client, options.readyTimeoutMs);
  } catch (err) {
    client.disconnect();
    throw err;
  }
  return client;
}
