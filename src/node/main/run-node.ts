import type { Worker } from 'node:worker_threads';
import { StockCounters } from 'native-free-shm';
import type { NodeConfig } from '../../config/node-config.js';
import { createLogger } from '../../log/logger.js';
import { createMetricsBuffer } from '../../metrics/layout.js';
import { createMetricsRegistry } from '../../metrics/registry.js';
import { connectRedis, whenReady } from '../../redis/connection.js';
import { beat } from '../../redis/node-roster.js';
import { redactRedisTarget } from '../../rules/redis-target.js';
import { SaleEngine } from '../../sale/engine.js';
import { SlotMemory } from '../../sale/slot-memory.js';
import { BuyerBuckets } from '../../sale/buyer-buckets.js';
import { Inventories } from '../../sale/inventories.js';
import type { SaleFacts } from '../../sale/types.js';
import { closeRedis } from '../close-redis.js';
import { DashboardFeed } from './dashboard-feed.js';
import { loopErrors } from './loop-errors.js';
import type { MainToThread, ThreadData, ThreadToMain } from '../messages.js';
import { readFacts } from './facts.js';
import { RedisGate } from './redis-gate.js';
import { HolderSync } from './holder-sync.js';
import { forgetOldMaster, MasterWatch } from './master-watch.js';
import { threadMessageHandler } from './thread-messages.js';
import { OpenFlags } from './open-flags.js';
import { OrderLagWatch } from './order-lag-watch.js';
import { watchParent } from './parent-watch.js';
import { Reconciler } from './reconciler.js';
import { SaleRegistry, type KnownSale } from './registry.js';
import { resetSlot } from './slot-reset.js';
import { ShutdownSignals } from './shutdown.js';
import { startThread } from './start-thread.js';
import { TicketKeyWatch } from './ticket-keys.js';
import { WeightSplit } from './weight-split.js';
import { Sweeper } from './sweeper.js';
import { QueueKeeper } from './queue-keeper.js';
import { CapacityError, capacityCheck } from './capacity.js';
import { registerQueueMetrics } from '../../metrics/queue-metrics.js';

/**
 * The node's main thread: owns the stock buffer, the sale registry, the reconciler, the sweeper, the open
 * flags, the metrics registry and shutdown; starts `config.threads` uWS threads that answer HTTP. Resolves
 * only on shutdown (or with 1 when the threads could not start).
 */
export async function runNode(config: NodeConfig): Promise<number> {
  const log = createLogger('ticket-spike-node', config.logLevel, { node: config.id, thread: 'main' });
  const signals = new ShutdownSignals((msg) => log.warn(msg));
  const workers: Worker[] = [];
  const broadcast = (message: MainToThread) => {
    for (const worker of workers) worker.postMessage(message);
  };
  // First, before anything keeps the process up: a key directory that cannot be used is a ConfigError (exit 2).
  const ticketKeys = TicketKeyWatch.start(config.ticketKeysDir, config.ticketKeysReloadMs, log, (keys) => broadcast({ type: 'ticket-keys', keys }));
  const stock = StockCounters.create({ sales: config.maxSales, partitions: config.threads });
  const slots = SlotMemory.create({ slots: config.maxSales, threads: config.threads });
  const metricsBuffer = createMetricsBuffer(config.threads);
  const buyers = BuyerBuckets.create({ rate: config.buyerRate, burst: config.buyerBurst });
  const redis = connectRedis(config.redisUrl, { commandTimeoutMs: 1000, name: `${config.id}-main` });
  const engine = new SaleEngine(redis, { confirm: config.confirm });
  const openFlags = new OpenFlags(stock);

  const holderSync = new HolderSync(
    (saleId, cursor, max) => engine.holderLogPage(saleId, cursor, max),
    (saleId, filter) => broadcast({ type: 'holders', saleId, filter }),
    (err) => log.warn({ err: (err as Error).message }, 'could not read who holds what in a sold-out sale; retrying'),
  );
  /** A status read reaches shared memory: the orders count first, then quota and flags (see SlotMemory.raiseOrdersSeen). */
  const refresh = (sale: KnownSale, facts: SaleFacts) => {
    slots.raiseOrdersSeen(sale.info.slot, facts.ordersMade);
    inventory.applyFacts(sale.info, facts);
    // An operator's close or added stock (src/sale/operations.ts), or a new waiting room (its board goes to the threads)...
    if (registry.follow(sale, facts)) broadcast({ type: 'sale', sale: sale.info });
    openFlags.follow(sale.info, facts.paused); // ...and pause: the open flag is window && !paused
    holderSync.check(facts);
  };

  // The weighted split follows the live nodes (the roster in Redis); a change re-reads every sale at once.
  const split = WeightSplit.forNode(config, (b) => beat(redis, b), log, () => reReadAll());
  const inventory = new Inventories(stock, slots, split);

  const redisGate = new RedisGate(redis, config.allowUnsafeRedis, log);
  // A new master (failover) or a restarted Redis: nothing read from the old one may answer from memory
  // (forgetOldMaster), then every sale is re-read. Started before any sale is read, and the registry reads none
  // before it knows which server it talks to: a switch right after the start is not mistaken for the first server.
  let reReadAll = () => {};
  const masterWatch = new MasterWatch(
    redis,
    (from, to) => {
      log.warn({ from, to }, 'Redis is another server now (a failover or a restart): re-reading every sale before answering from memory');
      forgetOldMaster({ sales: registry.list(), inventory, slots, holderSync, broadcast });
      reReadAll();
    },
    loopErrors(log)('master check'),
  );
  masterWatch.start();
  const registry = new SaleRegistry(
    // No sale before Redis passed its start check and the node knows which server it is.
    (id) => redisGate.passed().then(() => masterWatch.known()).then(() => readFacts(engine, id)),
    {
      onNew: (sale) => {
        // Shared memory first, then the message: a thread that learns the sale finds its quota and flags set.
        refresh(sale, sale.last);
        broadcast({ type: 'sale', sale: sale.info });
        log.info({ sale: sale.info.id, slot: sale.info.slot, remaining: sale.last.remaining }, 'sale registered');
      },
      onRetire: (sale) => {
        openFlags.forget(sale.info.slot);
        holderSync.forget(sale.info.id);
        broadcast({ type: 'forget', saleId: sale.info.id, slot: sale.info.slot });
      },
      clearSlot: (slot, quarantined) => {
        resetSlot(stock, inventory, slot);
        if (quarantined) log.warn({ slot }, 'a thread did not let go of a finished sale in time; its slot is reused anyway');
      },
    },
    { slots: config.maxSales, threads: config.threads, quarantineMs: config.deadlineMs + 1000 },
  );

  await whenReady(redis, 3000).catch(() => {});
  if (!(await redisGate.atStart())) {
    ticketKeys.stop();
    redis.disconnect();
    log.flush();
    return 2;
  }
  // The first beat before the first sale is read, so the first quotas already split over the live nodes.
  await split.tick();
  split.start();
  // Redis may not be up yet: start anyway (readyz says 503 and purchases of unknown sales 503 until it is).
  const checkCapacity = capacityCheck(engine, config.maxSales);
  const loadAll = async () => {
    await redisGate.passed();
    await checkCapacity();
    for (const id of await engine.placedSales()) {
      if (registry.get(id) === undefined) await registry.lookup(id, { rememberMiss: false }).catch((err: unknown) => log.warn({ sale: id, err: (err as Error).message }, 'sale not loaded'));
    }
  };
  try {
    await loadAll();
  } catch (err) {
    if (err instanceof CapacityError) {
      log.fatal(err.message);
      log.flush();
      redis.disconnect();
      return 1;
    }
    log.warn({ err: (err as Error).message }, 'could not list sales at start; will retry');
  }

  // The order workers' lag per known sale, for /metrics (issue 11): one read every 2 s, skipped while Redis is down.
  const lagWatch = new OrderLagWatch(redis, () => registry.list().map((sale) => sale.info.id), (err) =>
    log.debug({ err: (err as Error).message }, 'order lag not read; next tick'),
  );
  const metrics = createMetricsRegistry(
    config.id,
    metricsBuffer,
    config.threads,
    () =>
      registry.list().map((sale) => ({
        sale: sale.info.id,
        held: sale.last.held,
        paid: sale.last.paid,
        remaining: sale.last.remaining,
        localQuota: stock.available(sale.info.slot),
      })),
    () => lagWatch.current(),
  );

  // The waiting rooms: the shared key to the threads, one tick per queued sale every QUEUE_TICK_MS (after listening).
  const queues = new QueueKeeper({
    redis,
    tick: (id, base, bits, since) => engine.queueTick(id, base, bits, since),
    history: (id) => engine.queueHistory(id),
    sales: () => registry.list(),
    onSecret: (secret) => broadcast({ type: 'queue-secret', secret: secret.toString('hex') }),
    onError: loopErrors(log)('queue tick'),
  });
  registerQueueMetrics(metrics, () => queues.rows());
  // The live dashboard: heartbeat to Redis; one snapshot per tick for the threads' /ws/sales sockets while watched.
  const dashboard = DashboardFeed.forNode(config, metricsBuffer, redis, () => registry.list().map((s) => s.last), (json) => broadcast({ type: 'dashboard', json }), log, () => queues.rows());
  const onThreadMessage = threadMessageHandler({ registry, reconciler: () => reconciler, holderSync, dashboard, metrics });

  const listening = Array.from({ length: config.threads }, (_, index) => {
    const data: ThreadData = {
      index,
      config,
      stockBuffer: stock.buffer,
      slotBuffer: slots.buffer,
      metricsBuffer,
      buyerBuffer: buyers.buffer,
      sales: registry.list().map((sale) => sale.info),
      ticketKeys: ticketKeys.keys,
    };
    const worker = startThread(data);
    workers.push(worker);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: ThreadToMain) => {
        if (message.type === 'listening') resolve();
        else if (message.type === 'listen-failed') reject(new Error(`${message.error}: is the port taken?`));
        else onThreadMessage(worker, message);
      });
      worker.once('error', (err) => reject(new Error(`thread ${index} failed at start: ${err.message}`, { cause: err })));
      worker.once('exit', (code) => reject(new Error(`thread ${index} exited with ${code} before listening`)));
    });
  });
  try {
    await Promise.all(listening);
  } catch (err) {
    log.error({ err: (err as Error).message, port: config.port }, 'node could not start');
    openFlags.stop();
    await Promise.all(workers.map((worker) => worker.terminate()));
    redis.disconnect();
    log.flush();
    return 1;
  }

  // A thread that dies outside shutdown leaves its share of connections refused: better to exit and let the
  // supervisor (up, systemd, k8s) restart the whole node than to run half of it.
  let shuttingDown = false;
  workers.forEach((worker, index) =>
    worker.on('exit', (code) => {
      if (shuttingDown) return;
      log.fatal({ thread: index, code }, 'uWS thread exited unexpectedly; stopping the node');
      log.flush();
      setTimeout(() => process.exit(1), 50);
    }),
  );

  const onLoopError = loopErrors(log);
  const reconciler = new Reconciler(
    () => registry.list(),
    (id) => readFacts(engine, id),
    // A sale retired while its read was on the way no longer owns its slot: leave the slot alone.
    (sale, facts) => registry.get(sale.info.id) === sale && refresh(sale, facts),
    onLoopError('reconcile'),
  );
  reReadAll = () => reconciler.soon();
  const sweeper = new Sweeper(
    () => registry.sweepable(),
    (saleId, limit) => engine.expireDue(saleId, limit),
    onLoopError('expiry sweep'),
  );
  // Finished sales give their slots back (after every thread let go); at most 250 ms after RETIRE_AFTER_MS.
  const retireTimer = setInterval(() => registry.retireDue(), 250);
  retireTimer.unref();
  reconciler.start(config.reconcileMs);
  sweeper.start(config.sweepMs);
  lagWatch.start(2000);
  void lagWatch.tick();
  dashboard.start();
  queues.start();
  let refreshTimer: NodeJS.Timeout | undefined;
  if (config.refreshMs > 0) {
    const onRefreshError = onLoopError('sale refresh');
    refreshTimer = setInterval(() => void loadAll().catch(onRefreshError), config.refreshMs);
  }
  // The target may carry Redis's password (up's embedded Redis has one): never in the log.
  log.info({ port: config.port, threads: config.threads, redis: redactRedisTarget(config.redisUrl), sales: registry.list().length }, 'node listening');
  if (config.parentPid !== null) {
    // The same path as a SIGTERM from `up` (drain, then exit 0): the handler below is installed by then.
    watchParent(config.parentPid, (why) => {
      log.warn({ parentPid: config.parentPid }, `${why}: shutting down`);
      process.kill(process.pid, 'SIGTERM');
    });
  }

  return new Promise<number>((resolveExit) => {
    signals.ready(async (signal) => {
      shuttingDown = true;
      log.info({ signal }, 'shutting down: closing listen sockets, finishing in-flight purchases');
      // The threads first: they close their listen sockets at once (the sooner, the fewer connections wait in a
      // closed socket's backlog to be reset) and drain while the main thread stops its own loops.
      const stopped = workers.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
      for (const worker of workers) worker.postMessage({ type: 'stop' } satisfies MainToThread);
      reconciler.stop();
      await split.leave();
      masterWatch.stop();
      sweeper.stop();
      queues.stop();
      lagWatch.stop();
      await dashboard.stop();
      openFlags.stop();
      ticketKeys.stop();
      clearInterval(retireTimer);
      if (refreshTimer !== undefined) clearInterval(refreshTimer);
      await Promise.all(stopped);
      await closeRedis(redis);
      log.info('stopped');
      log.flush();
      resolveExit(redisGate.exitCode);
      return redisGate.exitCode;
    });
    // A Redis refused after start (it was not reachable then) stops the node the same way, with exit 2.
    redisGate.onRefusal(() => process.kill(process.pid, 'SIGTERM'));
  });
}
