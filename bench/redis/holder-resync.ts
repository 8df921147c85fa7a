/**
 * Question: what does it cost a node to keep its copy of "who may hold something" in a sold-out sale current, at
 * 100k and 1M orders — bytes moved and CPU per re-sync per node, and memory per uWS thread (issue 18)?
 *
 * Run: node --import tsx --conditions=ticket-spike-source bench/redis/holder-resync.ts [--orders 100000] [--threads 4]
 * A fresh redis-server (appendfsync no: the fill is not what is measured); a sale of `orders` orders made by the
 * real reserve-batch script (512 per call), each bought through nginx as it would be: a user and nginx's
 * X-Request-Key; one in ten also with the buyer's own Idempotency-Key. The sale is then sold out. Measured:
 *   full snapshot  the whole set of holders and keys, as the node read it before issue 18 (HKEYS of the holders
 *                  and the idempotency records, lua/holder-index-3.lua): reply bytes, Redis + parse time, the
 *                  structured clone to each thread, and each thread's two Sets (build time, heap) — what every
 *                  re-sync cost once ordersMade moved;
 *   holder log     src/sale/holder-log.ts (this issue): the first sync of a node (every page of the log, into the
 *                  node's one shared filter), then a re-sync after 100 holds expired and were bought again (the
 *                  delta only); the filter's bytes (one per node, shared by its threads: no copy per thread).
 * Prints one JSON line per measure.
 */
import { serialize } from 'node:v8';
import type { Redis } from 'ioredis';
import { HolderSync } from '../../src/node/main/holder-sync.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import type { HolderLogPage, PurchaseRequest } from '../../src/sale/types.js';
import { RedisServer } from '../../test/helpers/redis-server.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

const ORDERS = Number(arg('orders', '100000'));
const THREADS = Number(arg('threads', '4'));
const SALE = 'resync';

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function fill(engine: SaleEngine, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 512) {
    const purchases: PurchaseRequest[] = [];
    for (let j = i; j < Math.min(from + count, i + 512); j++) {
      const p: PurchaseRequest = { orderId: newOrderId(SALE), user: `buyer${j}` };
      if (j % 10 === 0) p.idempotencyKey = `key-${j}-${'k'.repeat(20)}`;
      else p.requestKey = `${j.toString(16).padStart(8, '0')}${'0'.repeat(24)}`;
      purchases.push(p);
    }
    await engine.reserveBatch(SALE, newBatchId(), purchases);
  }
}

/** The snapshot as lua/holder-index-3.lua (removed in issue 18) read it: every holder, every idempotency record. */
async function fullSnapshot(redis: Redis): Promise<{ ordersMade: number; users: string[]; keys: string[] }> {
  const k = saleKeys(SALE);
  const [made, users, keys] = (await redis.multi().hget(k.meta, 'ordersMade').hkeys(k.holders).hkeys(k.idem).exec())!.map((r) => r[1]);
  return { ordersMade: Number(made), users: users as string[], keys: keys as string[] };
}

function measureFull(snapshot: { ordersMade: number; users: string[]; keys: string[] }, readMs: number): void {
  const bytes = snapshot.users.reduce((n, u) => n + u.length + 3, 0) + snapshot.keys.reduce((n, u) => n + u.length + 3, 0);
  let t0 = process.hrtime.bigint();
  const cloned = serialize(snapshot);
  const cloneMs = ms(t0);
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  t0 = process.hrtime.bigint();
  const sets: Array<Set<string>> = [];
  for (let i = 0; i < THREADS; i++) sets.push(new Set(snapshot.users), new Set(snapshot.keys));
  const buildMs = ms(t0) / THREADS;
  global.gc?.();
  const heapPerThread = (process.memoryUsage().heapUsed - heapBefore) / THREADS;
  console.log(JSON.stringify({
    measure: 'full snapshot (before)', orders: ORDERS, entries: snapshot.users.length + snapshot.keys.length,
    redisReplyBytes: bytes, readAndParseMs: Number(readMs.toFixed(1)), clonedBytesPerThread: cloned.length,
    cloneMsPerThread: Number(cloneMs.toFixed(1)), setBuildMsPerThread: Number(buildMs.toFixed(1)),
    heapBytesPerThread: Math.round(heapPerThread), perResync: `${THREADS} clones + ${THREADS} builds`,
  }));
  if (sets.length === 0) throw new Error('unreachable');
}

/** One node's sync over the real engine: entries and bytes read, wall time, until complete up to ordersMade. */
async function measureLog(engine: SaleEngine, sync: HolderSync, read: { entries: number; bytes: number }, label: string): Promise<void> {
  read.entries = 0;
  read.bytes = 0;
  const status = (await engine.status(SALE))!;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  sync.check({ id: SALE, remaining: status.remaining, ordersMade: status.ordersMade } as Parameters<HolderSync['check']>[0]);
  while (sync.synced(SALE) < status.ordersMade) await new Promise((resolve) => setImmediate(resolve));
  const took = ms(t0);
  global.gc?.();
  console.log(JSON.stringify({
    measure: `holder log: ${label}`, orders: ORDERS, ordersMade: status.ordersMade, entriesRead: read.entries, redisReplyBytes: read.bytes,
    syncMs: Number(took.toFixed(1)), mainHeapRetainedBytes: process.memoryUsage().heapUsed - heapBefore,
    bytesPerThread: 0, perResync: 'one shared filter per node, filled in place',
  }));
}

const server = await RedisServer.start({ args: ['--appendfsync', 'no'] });
const redis = (await connectRedisReady(server.url, { commandTimeoutMs: 60_000 })) as Redis;
try {
  const engine = new SaleEngine(redis);
  await engine.createSale({ id: SALE, total: ORDERS, perUserLimit: 1, holdSeconds: 900, anonymous: false });
  let t0 = process.hrtime.bigint();
  await fill(engine, 0, ORDERS);
  console.error(`filled ${ORDERS} orders in ${(ms(t0) / 1000).toFixed(1)} s`);
  t0 = process.hrtime.bigint();
  const snapshot = await fullSnapshot(redis);
  measureFull(snapshot, ms(t0));

  const read = { entries: 0, bytes: 0 };
  let filterBytes = 0;
  const sync = new HolderSync(
    async (sale, cursor, max) => {
      const page: HolderLogPage | null = await engine.holderLogPage(sale, cursor, max);
      read.entries += page?.entries.length ?? 0;
      read.bytes += page?.entries.reduce((n, e) => n + e.length + 3, 0) ?? 0;
      return page;
    },
    (_sale, filter) => (filterBytes = filter.byteLength),
    (err) => console.error(err),
  );
  await measureLog(engine, sync, read, 'first sync of a node');
  const logBytes = Number(await redis.call('MEMORY', 'USAGE', saleKeys(SALE).mayHold, 'SAMPLES', '0'));
  const idemBytes = Number(await redis.call('MEMORY', 'USAGE', saleKeys(SALE).idem, 'SAMPLES', '0'));
  console.log(JSON.stringify({ measure: 'holder filter', bytesPerNode: filterBytes, bytesPerThread: 0, redisLogBytes: logBytes, redisLogBytesPerOrder: Math.round(logBytes / ORDERS), redisIdemBytesPerOrder: Math.round(idemBytes / ORDERS) }));
  // 100 more seats (as when holds expire): 100 new holds, sold out again.
  await engine.addStock(SALE, 100);
  await fill(engine, ORDERS, 100);
  await measureLog(engine, sync, read, 're-sync after 100 new holds');
} finally {
  redis.disconnect();
  await server.stop();
}
