import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { createLogger } from '../../log/logger.js';
import { createWorkerMetrics, type WorkerMetrics } from '../../metrics/worker-metrics.js';
import { ORDER_WORKER_READY } from '../../log/ready-lines.js';
import { connectRedis, whenReady } from '../../redis/connection.js';
import { RedisStartCheck } from '../../redis/settings-check.js';
import { SaleEngine } from '../../sale/engine.js';
import { createPool, redactUrl } from '../../store/connection.js';
import { migrate } from '../../store/migrations.js';
import { OrderStore } from '../../store/order-store.js';
import { loadKeyDir, signingKey } from '../../tickets/keys.js';
import { closeRedis } from '../close-redis.js';
import { watchParent } from '../main/parent-watch.js';
import { OrderWorker, type OrderWorkerOptions } from './order-worker.js';

export interface WorkerConfig extends Omit<OrderWorkerOptions, 'consumer' | 'counters' | 'now'> {
  redisUrl: string;
  /** Serve GET /metrics (Prometheus text) on this port; 0 or absent: none. */
  metricsPort?: number;
  metricsHost?: string;
  databaseUrl: string;
  consumer?: string;
  logLevel: string;
  /** Stop when this process is gone (`up` passes its pid). */
  parentPid?: number;
  /** The nodes' e-ticket key directory: paid orders are stored with their ticket. */
  ticketKeysDir?: string;
  /** --allow-unsafe-redis: run on a Redis without noeviction or appendonly (a warning) instead of exiting 2. */
  allowUnsafeRedis?: boolean;
}

/**
 * `ticket-spike orders-worker`: applies the migrations, then runs one OrderWorker until SIGINT / SIGTERM
 * (or its parent's death), finishing the batch in hand. Resolves with the exit code.
 */
export async function runWorker(config: WorkerConfig): Promise<number> {
  const consumer = config.consumer ?? `${hostname()}-${process.pid}`;
  const log = createLogger('ticket-spike-orders-worker', config.logLevel, { consumer });
  const redis = connectRedis(config.redisUrl, { commandTimeoutMs: 5000, name: `orders-worker-${consumer}` });
  const pool = createPool(config.databaseUrl, { max: 2, name: 'orders-worker', onError: (err) => log.warn({ err: err.message }, 'PostgreSQL connection error') });
  // The key directory is read again now and then, so a rotation reaches the worker as it reaches the nodes.
  let keys = config.ticketKeysDir !== undefined ? { set: loadKeyDir(config.ticketKeysDir), at: Date.now() } : undefined;
  const ticketKey = () => {
    if (keys === undefined || config.ticketKeysDir === undefined) return undefined;
    if (Date.now() - keys.at > 5000) {
      try {
        keys = { set: loadKeyDir(config.ticketKeysDir), at: Date.now() };
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'ticket key directory unreadable; keeping the keys read before');
        keys.at = Date.now();
      }
    }
    return signingKey(keys.set);
  };
  const metrics = createWorkerMetrics(consumer);
  const worker = new OrderWorker(redis, new SaleEngine(redis), new OrderStore(pool), { ...config, consumer, ticketKey, counters: metrics }, log);
  let server: Server | undefined;
  let stopping = false;
  const stop = (why: string) => {
    log.info({ why }, 'stopping after the batch in hand');
    stopping = true;
    worker.stop();
  };
  const onSignal = (sig: NodeJS.Signals) => stop(sig);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const unwatch = config.parentPid !== undefined ? watchParent(config.parentPid, stop) : () => {};
  try {
    // The Redis given must not evict and must keep an AOF (src/redis/settings-check.ts). Until it answers the
    // worker waits, as for PostgreSQL below: a Redis that is down at start is no refusal.
    let refusal: string | null = null;
    const redisCheck = new RedisStartCheck(redis, {
      allowUnsafe: config.allowUnsafeRedis === true,
      log,
      onRefused: (message) => (refusal = message),
    });
    for (let delay = 200; !stopping; delay = Math.min(delay * 2, 5000)) {
      await whenReady(redis, delay).catch(() => {});
      const result = await redisCheck.check();
      if (result === 'passed') break;
      if (result === 'refused') {
        log.fatal(`refusing this Redis: ${refusal}`);
        process.stderr.write(`ticket-spike orders-worker: refusing this Redis: ${refusal}\n`);
        return 2;
      }
      log.warn({ retryInMs: delay }, 'Redis not reachable yet; its settings are checked once it is');
    }
    if (stopping) return 0;
    // Until PostgreSQL answers, the migrations wait: a worker started with the database is not an error.
    for (let delay = 200; !stopping; delay = Math.min(delay * 2, 5000)) {
      try {
        const { applied, version } = await migrate(pool);
        log.info({ database: redactUrl(config.databaseUrl), applied, version }, 'schema ready');
        break;
      } catch (err) {
        if ((err as { name?: string }).name === 'MigrationError') throw err;
        log.warn({ err: (err as Error).message, retryInMs: delay }, 'PostgreSQL not ready');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    // Stopped while PostgreSQL was not ready yet: nothing was read, so nothing to finish.
    if (stopping) return 0;
    if (config.metricsPort !== undefined && config.metricsPort > 0) {
      server = await serveMetrics(metrics, config.metricsPort, config.metricsHost ?? '127.0.0.1');
      log.info({ port: config.metricsPort, host: config.metricsHost ?? '127.0.0.1' }, 'metrics on GET /metrics');
    }
    log.info({ batch: config.batch, claimIdleMs: config.claimIdleMs }, ORDER_WORKER_READY);
    await worker.run();
    return 0;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'order worker cannot run');
    process.stderr.write(`ticket-spike orders-worker: ${(err as Error).message}\n`);
    return 1;
  } finally {
    unwatch();
    if (server !== undefined) {
      // A scraper's keep-alive connection would hold close() open.
      server.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.end().catch(() => {});
    await closeRedis(redis);
  }
}

/** GET /metrics: the worker's Prometheus text; anything else 404. */
function serveMetrics(metrics: WorkerMetrics, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
