import { parentPort, workerData } from 'node:worker_threads';
import { App, us_listen_socket_close, type HttpResponse, type us_listen_socket } from 'uWebSockets.js';
import { ReservationBatcher } from '../redis/batcher.js';
import { connectRedis, whenReady } from '../redis/connection.js';
import { createLogger } from '../log/logger.js';
import { StatLog } from '../log/stat-log.js';
import { mount } from '../http/router.js';
import { Reply } from '../http/respond.js';
import { buyRoutes } from '../http/routes/buy.js';
import { orderRoutes } from '../http/routes/orders.js';
import { saleRoutes } from '../http/routes/sales.js';
import { adminRoutes } from '../http/routes/admin.js';
import { healthRoutes } from '../http/routes/health.js';
import type { MainToThread, ThreadData } from './messages.js';
import { ThreadContext } from './thread-context.js';
import { closeRedis } from './close-redis.js';
import { TicketSigner } from '../tickets/signer.js';
import { TrackingEngine } from './tracking-engine.js';

/**
 * One uWS thread (uWebSockets.js "WorkerThreads" example): its own App listening on the node's port (uWS
 * sets SO_REUSEPORT, so the kernel spreads connections over the threads), its own Redis connection, engine
 * and batcher, and the stock buffer attached from the main thread.
 */
const data = workerData as ThreadData;
const config = data.config;
const log = createLogger('ticket-spike-node', config.logLevel, { node: config.id, thread: data.index });
// The command timeout bounds every Redis call; the batcher's deadline bounds a purchase end to end.
const redis = connectRedis(config.redisUrl, {
  commandTimeoutMs: Math.max(100, config.deadlineMs - 100),
  name: `${config.id}-t${data.index}`,
});
const engine = new TrackingEngine(redis);
const batcher = new ReservationBatcher(
  engine,
  { maxBatch: config.batchSize, windowMs: config.batchWindowMs, deadlineMs: config.deadlineMs, maxInFlight: config.batchInFlight },
  `t${data.index}`,
);
const statLog = config.statLog === null ? null : new StatLog(config.statLog, data.index);
const ctx = new ThreadContext(data, redis, engine, batcher, log, statLog);
const signer = new TicketSigner(data.ticketKeys);

const newReply = (res: HttpResponse): Reply => {
  const started = performance.now();
  const reply = new Reply(res, config.id, (status) => ctx.counters.response(status, (performance.now() - started) / 1000));
  // While draining, every answer also closes its connection, so keep-alive clients move to another node.
  reply.closing = ctx.draining;
  return reply;
};

const app = App();
mount(
  app,
  [...buyRoutes(ctx), ...orderRoutes(ctx, (order) => signer.sign(order)), ...saleRoutes(ctx), ...adminRoutes(ctx), ...healthRoutes(ctx)],
  newReply,
);

// Listen once this thread's Redis connection is up (bounded: with Redis down the thread still listens and
// answers 503), so a node that answers /readyz 200 on one thread does not have a sibling that would 503.
await whenReady(redis, 3000).catch(() => log.warn('Redis not ready after 3 s; listening anyway (purchases answer 503)'));

let listenSocket: us_listen_socket | false = false;
app.listen(config.host, config.port, (socket) => {
  listenSocket = socket;
  if (socket === false) {
    ctx.post({ type: 'listen-failed', thread: data.index, error: `could not listen on ${config.host}:${config.port}` });
    return;
  }
  log.debug({ port: config.port }, 'listening');
  ctx.post({ type: 'listening', thread: data.index });
});

parentPort?.on('message', (message: MainToThread) => {
  if (message.type === 'stop') void stop();
  else ctx.onMessage(message);
});

let stopping = false;
/**
 * Graceful stop (uWS "GracefulShutdown"): close the listen socket first (else Node aborts on uv_loop_close
 * when the thread ends), then let every accepted purchase finish and be answered, flush the stat log,
 * close Redis, and close the remaining keep-alive connections.
 */
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  ctx.draining = true;
  if (listenSocket !== false) us_listen_socket_close(listenSocket);
  listenSocket = false;
  await batcher.drain();
  await ctx.whenIdle();
  // Give the last answers a moment to leave the socket buffers before connections are closed.
  await new Promise((resolve) => setTimeout(resolve, 50));
  app.close();
  await statLog?.close();
  await signer.close().catch(() => {});
  await closeRedis(redis);
  log.debug('stopped');
  log.flush();
  ctx.post({ type: 'stopped', thread: data.index });
  // Everything that matters is closed (listen socket, connections, Redis, stat log). Leftover handles (a
  // Redis reconnect backoff, uWS's timer sweep) would keep the thread up for seconds; end it now.
  setTimeout(() => process.exit(0), 20);
}
