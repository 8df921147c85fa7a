import { parentPort, workerData } from 'node:worker_threads';
import { App, us_listen_socket_close, type HttpResponse, type us_listen_socket } from 'uWebSockets.js';
import { StockCounters } from 'native-free-shm';
import { loadDashboardAssets } from '../../http/dashboard/assets.js';
import { DashboardHub } from '../../http/dashboard/hub.js';
import { mountDashboardSocket } from '../../http/dashboard/socket.js';
import { Reply } from '../../http/reply.js';
import { mount } from '../../http/router.js';
import { allRoutes } from '../../http/routes/all.js';
import { loadOpenApi } from '../../http/routes/openapi.js';
import { loadBuyerAssets } from '../../http/buyer/assets.js';
import { QueueDesk } from '../../sale/queue-desk.js';
import { QueueJoins } from '../../sale/queue-joins.js';
import { queuePort } from './queue-port.js';
import { createLogger } from '../../log/logger.js';
import { FaultLog } from './fault-log.js';
import { StatLog } from '../../log/stat-log.js';
import { ThreadCounters } from '../../metrics/layout.js';
import { connectRedis, whenReady } from '../../redis/connection.js';
import { ReservationBatcher } from '../../sale/batcher.js';
import { BuyerBuckets } from '../../sale/buyer-buckets.js';
import { SaleEngine } from '../../sale/engine.js';
import { OrderLookup } from '../../sale/order-lookup.js';
import { SlotMemory } from '../../sale/slot-memory.js';
import { Inventories } from '../../sale/inventories.js';
import { PurchaseDesk } from '../../sale/purchase-desk.js';
import { BuyerTokens } from '../../auth/buyer-tokens.js';
import { LazyOrderStore } from '../../store/lazy-store.js';
import { TicketSigner } from '../../tickets/signer.js';
import { closeRedis } from '../close-redis.js';
import type { MainToThread, ThreadData, ThreadToMain } from '../messages.js';
import { ThreadHolderIndex } from './holder-index.js';
import { MetricsLink } from './metrics-link.js';
import { OpenReplies } from './open-replies.js';
import { adminPort, buyerAuthPort, healthPort, orderPort, purchasePort, salePort, ticketPort, type ThreadParts } from './ports.js';
import { ThreadSaleDirectory } from './sale-directory.js';

/**
 * One uWS thread (uWebSockets.js "WorkerThreads" example): its own App listening on the node's port (uWS
 * sets SO_REUSEPORT, so the kernel spreads connections over the threads), its own Redis connection, engine,
 * batcher and purchase desk, and the stock buffer attached from the main thread. This file is the thread's
 * wiring: it builds the parts, hands each group of routes its narrow port, and runs the graceful stop.
 */
const data = workerData as ThreadData;
const config = data.config;
const post = (message: ThreadToMain) => parentPort?.postMessage(message);
const log = createLogger('ticket-spike-node', config.logLevel, { node: config.id, thread: data.index });
// The command timeout bounds every Redis call; the batcher's deadline bounds a purchase end to end.
const redis = connectRedis(config.redisUrl, {
  commandTimeoutMs: Math.max(100, config.deadlineMs - 100),
  name: `${config.id}-t${data.index}`,
});
const engine = new SaleEngine(redis, { confirm: config.confirm });
// Orders that left Redis (retired, issue 11) are read from PostgreSQL: a small pool per thread, made on first
// use (max 2; a store that does not answer within 2 s is a 503, never a wait as long as a purchase's).
const orderStore =
  config.databaseUrl === null
    ? null
    : new LazyOrderStore(config.databaseUrl, {
        max: 2,
        connectionTimeoutMs: 2000,
        statementTimeoutMs: 2000,
        name: `${config.id}-t${data.index}`,
        onError: (err) => log.warn({ err: err.message }, 'order store connection lost; the next lookup reconnects'),
      });
const batcher = new ReservationBatcher(
  engine,
  { maxBatch: config.batchSize, windowMs: config.batchWindowMs, deadlineMs: config.deadlineMs, maxInFlight: config.batchInFlight },
  `t${data.index}`,
);
const stock = StockCounters.attach(data.stockBuffer);
const directory = new ThreadSaleDirectory(data.sales, post);
const counters = new ThreadCounters(data.metricsBuffer, data.index);
const openReplies = new OpenReplies();
let draining = false;
const slots = SlotMemory.attach(data.slotBuffer);
const holders = new ThreadHolderIndex(slots);
const inventories = new Inventories(stock, slots, config);
const queueJoins = new QueueJoins((saleId, joins) => engine.joinQueue(saleId, joins));
const queueDesk = new QueueDesk((saleId, ask) => queueJoins.join(saleId, ask));
const desk = new PurchaseDesk({
  stock,
  slots,
  inventory: inventories,
  partition: data.index,
  batcher,
  directory,
  holders,
  buyers: new BuyerBuckets(data.buyerBuffer),
  draining: () => draining,
  onSoldOut: (sale) => post({ type: 'sold-out', saleId: sale.id }),
  passes: queueDesk,
});
const statLog = config.statLog === null ? null : new StatLog(config.statLog, data.index);
const signer = new TicketSigner(data.ticketKeys);
const metricsLink = new MetricsLink(post);
const parts: ThreadParts = {
  index: data.index,
  config,
  redis,
  engine,
  orders: new OrderLookup(engine, orderStore === null ? null : () => orderStore.get()),
  desk,
  inventories,
  stock,
  directory,
  counters,
  statLog,
  signer,
  auth: buyerAuthPort(config.jwt === null ? null : new BuyerTokens(config.jwt)),
  metricsLink,
  log,
  post,
  draining: () => draining,
};

// One hooks object for every request (not two closures each: the sold-out path answers ~100k/s per node).
const faults = new FaultLog(log);
const replyHooks = {
  onEnd: (status: number, startedAt: number) => {
    counters.response(status, (performance.now() - startedAt) / 1000);
    openReplies.closed();
  },
  onAbort: () => openReplies.closed(),
  onFault: (code: string, cause: unknown) => faults.fault(code, cause),
};
// While draining, every answer also closes its connection, so keep-alive clients move to another node.
const replyContext = { servedBy: config.id, hooks: replyHooks, closing: () => draining };
const newReply = (res: HttpResponse): Reply => {
  openReplies.opened();
  return new Reply(res, replyContext);
};

const app = App();
// The live dashboard: this thread's sockets get each snapshot the main thread builds (one per tick, not per socket).
const dashboards = new DashboardHub((count, dropped) => post({ type: 'dashboard-watchers', thread: data.index, count, dropped }));
mountDashboardSocket(app, dashboards, config.id, () => draining);
mount(
  app,
  allRoutes({
    purchase: purchasePort(parts),
    orders: orderPort(parts),
    tickets: ticketPort(parts),
    sales: salePort(parts),
    admin: adminPort(parts),
    health: healthPort(parts),
    queue: queuePort(parts, queueDesk),
    dashboard: loadDashboardAssets(),
    buyerPage: loadBuyerAssets(),
    openapi: loadOpenApi(),
  }),
  newReply,
);

// Listen once this thread's Redis connection is up (bounded: with Redis down the thread still listens and
// answers 503), so a node that answers /readyz 200 on one thread does not have a sibling that would 503.
await whenReady(redis, 3000).catch(() => log.warn('Redis not ready after 3 s; listening anyway (purchases answer 503)'));

let listenSocket: us_listen_socket | false = false;
app.listen(config.host, config.port, (socket) => {
  listenSocket = socket;
  if (socket === false) {
    post({ type: 'listen-failed', thread: data.index, error: `could not listen on ${config.host}:${config.port}` });
    return;
  }
  log.debug({ port: config.port }, 'listening');
  post({ type: 'listening', thread: data.index });
});

parentPort?.on('message', (message: MainToThread) => {
  switch (message.type) {
    case 'sale':
      return directory.learned(message.sale);
    case 'lookup-reply':
      return directory.answered(message.id, message.sale, message.error);
    case 'holders':
      return holders.learned(message.saleId, message.filter);
    case 'holders-reset':
      return holders.forgetAll();
    case 'forget':
      directory.forget(message.saleId);
      holders.forget(message.saleId);
      return forgotWhenSettled(message.saleId, message.slot);
    case 'metrics-reply':
      return metricsLink.answered(message.reqId, message.contentType === '' ? null : { text: message.text, contentType: message.contentType });
    case 'ticket-keys':
      return signer.setKeys(message.keys);
    case 'dashboard':
      return dashboards.push(message.json);
    case 'queue-secret':
      return queueDesk.useSecret(Buffer.from(message.secret, 'hex'));
    case 'stop':
      return void stop();
  }
});

/**
 * Acknowledges a retired sale once no purchase of it is left in the batcher. After directory.forget() no new
 * purchase can reach the slot (decide() runs synchronously from the directory to batcher.reserveTo()), and a
 * purchase's settle — its last write to the slot — runs inside the batcher's callback, before the batcher drops
 * the sale's queue: by the time busy() turns false every one of them has run.
 */
function forgotWhenSettled(saleId: string, slot: number): void {
  if (batcher.busy(saleId)) {
    setTimeout(() => forgotWhenSettled(saleId, slot), 20).unref();
    return;
  }
  post({ type: 'forgot', saleId, slot });
}

let stopping = false;
/**
 * Graceful stop (uWS "GracefulShutdown"): close the listen socket first (else Node aborts on uv_loop_close
 * when the thread ends), then let every accepted purchase finish and be answered, wait for a quiet spell (no
 * request open or arriving), close the keep-alive connections, flush the stat log and close Redis.
 */
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  draining = true;
  if (listenSocket !== false) us_listen_socket_close(listenSocket);
  listenSocket = false;
  dashboards.closeAll();
  await batcher.drain();
  // Also gives the last answers a moment to leave the socket buffers before the connections are closed.
  await openReplies.whenQuiet(100);
  app.close();
  await statLog?.close();
  await signer.close().catch(() => {});
  await orderStore?.close();
  await closeRedis(redis);
  log.debug('stopped');
  log.flush();
  post({ type: 'stopped', thread: data.index });
  // Everything that matters is closed (listen socket, connections, Redis, stat log). Leftover handles (a
  // Redis reconnect backoff, uWS's timer sweep) would keep the thread up for seconds; end it now.
  setTimeout(() => process.exit(0), 20);
}
