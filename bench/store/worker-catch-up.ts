/**
 * Question: after PostgreSQL was away for a long time during a sale, how big is the order worker's backlog, and how
 * fast does it carry it (entries/s, orders/s) once PostgreSQL is back (issue 18, part 2)?
 *
 * Run: node --import tsx --conditions=ticket-spike-source bench/store/worker-catch-up.ts
 *        [--freeze-s 600] [--rate 2000] [--per-call 8] [--paid-share 0.3] [--warm-s 20] [--batch 100]
 *        [--stop-buying-at-thaw] [--cli dist/src/cli/main.js]
 * Starts its own Redis (AOF, appendfsync always), PostgreSQL and one `ticket-spike orders-worker` process (the CLI of
 * --cli, default this tree's dist/: build first; point it at another build to compare workers), run as `up` runs it
 * (consumer orders-worker-1, default claim-idle-ms and batch) but not niced. Purchases go through SaleEngine at a
 * steady RATE a second (reserve-batch calls of PER_CALL purchases, as a node's batcher sends them, each buyer new;
 * PAID_SHARE of the orders paid at once: one `ev paid` entry each). Phases:
 *   warm    WARM_S s with PostgreSQL up: the worker keeps up (its lag is the baseline);
 *   frozen  PostgreSQL SIGSTOPped (postmaster and every backend) for FREEZE_S s, purchases going on;
 *   catch-up  SIGCONT; purchases go on (unless --stop-buying-at-thaw) until every entry made before the thaw is
 *           acknowledged (the oldest entry the group still needs is younger than the thaw), then stop; the stream
 *           drains, and PostgreSQL must hold exactly the orders Redis made.
 * Reports the backlog at the thaw (entries pending / unread, orders not in PostgreSQL, the worker's own pending
 * entries) and the catch-up: seconds, entries acknowledged a second, order rows written a second, against the
 * arrival rate meanwhile. Memory: Redis keeps every order until it is in PostgreSQL, ~400 B each: RATE 2000 for a
 * 10-minute freeze is 1.2M orders, ~0.5 GB of Redis. Writes bench/results/store-worker-catch-up.json.
 * Another worker to compare (e.g. the one before issue 18): git archive <commit> | tar -x -C /tmp/before, link
 * node_modules into it, npx tsc -b there, then --cli /tmp/before/dist/src/cli/main.js.
 * Measured (2 cores shared, load 3.7-5, --freeze-s 60, defaults otherwise): the worker before issue 18 left 717
 * entries pending for itself (one batch per failed commit) and took 93.8 s after the thaw to carry the outage's
 * backlog (the last ~700 entries came back through XAUTOCLAIM, 100 per 15 s); this one kept 81 (one batch) and took
 * 11.5 s: 3,931 entries/s, 10,470 order rows/s, with 2,008 orders/s still arriving.
 * The ten-minute outage (defaults: --freeze-s 600, rate 2000, load 4.0-4.7): 1,199,992 orders made while frozen,
 * 450,048 entries behind at the thaw (84 of them the worker's own pending, one batch); carried in 119.5 s:
 * 3,770 entries/s, 10,054 order rows/s (5x the 2,004 orders/s still arriving); PostgreSQL exact at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { ORDER_WORKER_READY } from '../../src/log/ready-lines.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { ORDER_GROUP, oldestNeeded } from '../../src/redis/order-stream.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { createPool } from '../../src/store/connection.js';
import { migrate } from '../../src/store/migrations.js';
import { childEnv } from '../../test/helpers/env.js';
import { PostgresServer } from '../../test/helpers/postgres-server.js';
import { RedisServer } from '../../test/helpers/redis-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
function text(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const FREEZE_S = arg('freeze-s', 600);
const RATE = arg('rate', 2000);
const PER_CALL = arg('per-call', 8);
const PAID_SHARE = arg('paid-share', 0.3);
const WARM_S = arg('warm-s', 20);
const BATCH = arg('batch', 100);
const STOP_AT_THAW = process.argv.includes('--stop-buying-at-thaw');
const CLI = resolve(ROOT, text('cli', 'dist/src/cli/main.js'));
const SALE = 'CATCHUP';
const CONSUMER = 'orders-worker-1';

const redisServer = await RedisServer.start();
const pg = await PostgresServer.start();
const db = createPool(pg.url, { max: 1 });
let worker: ChildProcess | undefined;
const stopAll: Array<() => Promise<unknown>> = [() => redisServer.stop(), () => pg.stop(), () => db.end()];

/** The group's figures (one XINFO GROUPS): entries read by a consumer, pending, not yet read. */
async function group(redis: Redis): Promise<{ read: number; pending: number; unread: number }> {
  const groups = (await redis.xinfo('GROUPS', saleKeys(SALE).stream)) as unknown[][];
  for (const g of groups) {
    const f = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
    if (f.get('name') === ORDER_GROUP) return { read: Number(f.get('entries-read') ?? 0), pending: Number(f.get('pending')), unread: Number(f.get('lag') ?? 0) };
  }
  return { read: 0, pending: 0, unread: 0 };
}

async function ownPending(redis: Redis): Promise<number> {
  const summary = (await redis.xpending(saleKeys(SALE).stream, ORDER_GROUP)) as [number, string | null, string | null, Array<[string, string]> | null];
  return Number((summary[3] ?? []).find(([c]) => c === CONSUMER)?.[1] ?? 0);
}

async function rowsInPg(): Promise<number> {
  return Number((await db.query<{ n: string }>('select count(*) n from orders where sale_id = $1', [SALE])).rows[0].n);
}

try {
  await migrate(db);
  const redis = (await connectRedisReady(redisServer.url, { commandTimeoutMs: 10_000 })) as Redis;
  stopAll.unshift(async () => redis.disconnect());
  const engine = new SaleEngine(redis);
  await engine.createSale({ id: SALE, total: 100_000_000, perUserLimit: 1, holdSeconds: 3600, anonymous: false });

  let output = '';
  worker = spawn(process.execPath, [CLI, 'orders-worker', '--redis', redisServer.url, '--consumer', CONSUMER, '--batch', String(BATCH), '--log-level', 'info'], {
    cwd: ROOT,
    env: childEnv({ DATABASE_URL: pg.url }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000));
  worker.stdout?.on('data', keep);
  worker.stderr?.on('data', keep);
  const running = worker;
  stopAll.unshift(async () => {
    running.kill('SIGTERM');
    await Promise.race([new Promise((r) => running.once('exit', r)), sleep(10_000).then(() => running.kill('SIGKILL'))]);
  });
  for (let i = 0; !output.includes(ORDER_WORKER_READY); i++) {
    if (i > 600 || running.exitCode !== null) throw new Error(`the worker did not start: ${output.slice(-2000)}`);
    await sleep(100);
  }

  // Steady purchases: every 10 ms, the calls due by now (so a slow call is made up, not dropped).
  let buying = true;
  let loadError: unknown;
  let made = 0;
  let calls = 0;
  const started = performance.now();
  const load = (async () => {
    let user = 0;
    while (buying) {
      const due = Math.floor(((performance.now() - started) / 1000) * (RATE / PER_CALL)) - calls;
      const batch: Array<Promise<void>> = [];
      for (let c = 0; c < Math.min(due, 50); c++, calls++) {
        const purchases = Array.from({ length: PER_CALL }, () => ({ orderId: newOrderId(SALE), user: `u${user++}` }));
        batch.push(
          engine.reserveBatch(SALE, newBatchId(), purchases).then(async (reply) => {
            const ids = reply.results.flatMap((r) => ('orderId' in r ? [r.orderId] : []));
            made += ids.length;
            const pay = ids.slice(0, Math.round(ids.length * PAID_SHARE));
            await Promise.all(pay.map((id) => engine.pay(id)));
          }),
        );
      }
      await Promise.all(batch);
      await sleep(10);
    }
  })().catch((err: unknown) => {
    loadError = err;
  });

  const phase = (name: string, extra: object) => console.log(JSON.stringify({ phase: name, atS: Number(((performance.now() - started) / 1000).toFixed(1)), ...extra }));
  // Warm: the worker keeps up; its largest backlog is the baseline.
  let warmMax = 0;
  for (const end = performance.now() + WARM_S * 1000; performance.now() < end; ) {
    const g = await group(redis);
    warmMax = Math.max(warmMax, g.pending + g.unread);
    await sleep(500);
  }
  phase('warm', { ordersMade: made, rowsInPostgres: await rowsInPg(), maxBacklogEntries: warmMax });

  pg.freeze();
  const frozenAt = performance.now();
  const madeAtFreeze = made;
  while (performance.now() - frozenAt < FREEZE_S * 1000) {
    await sleep(Math.min(10_000, FREEZE_S * 1000 - (performance.now() - frozenAt)));
    const g = await group(redis);
    phase('frozen', { ordersMade: made, backlogEntries: g.pending + g.unread, pending: g.pending, ownPending: await ownPending(redis) });
  }
  const g0 = await group(redis);
  const own0 = await ownPending(redis);
  pg.thaw();
  const thawAt = Date.now();
  const thawedAt = performance.now();
  const madeAtThaw = made;
  const rowsAtThaw = await rowsInPg();
  const atThaw = {
    frozenS: Number(((thawedAt - frozenAt) / 1000).toFixed(1)),
    ordersMadeWhileFrozen: madeAtThaw - madeAtFreeze,
    backlogEntries: g0.pending + g0.unread,
    pending: g0.pending,
    unread: g0.unread,
    workerOwnPending: own0,
    ordersNotInPostgres: (await engine.status(SALE))!.ordersMade - rowsAtThaw,
  };
  phase('thaw', atThaw);
  if (STOP_AT_THAW) {
    buying = false;
    await load;
  }

  // Catch-up: until every entry made before the thaw is acknowledged.
  let caughtUpAt = 0;
  for (let last = 0; ; ) {
    const oldest = await oldestNeeded(redis, SALE);
    if (oldest === undefined || Number(oldest.slice(0, oldest.indexOf('-'))) >= thawAt) {
      caughtUpAt = performance.now();
      break;
    }
    if (performance.now() - last > 5000) {
      last = performance.now();
      const g = await group(redis);
      phase('catching-up', { backlogEntries: g.pending + g.unread, rowsInPostgres: await rowsInPg(), ordersMade: made });
    }
    await sleep(200);
  }
  const g1 = await group(redis);
  const rows1 = await rowsInPg();
  const seconds = (caughtUpAt - thawedAt) / 1000;
  const acked = g1.read - g1.pending - (g0.read - g0.pending);
  buying = false;
  await load;
  // Drained: nothing pending or unread, and PostgreSQL holds every order.
  for (let i = 0; ; i++) {
    const g = await group(redis);
    if (g.pending === 0 && g.unread === 0) break;
    if (i > 3000) throw new Error('the stream did not drain within 10 minutes after the load stopped');
    await sleep(200);
  }
  if (loadError !== undefined) throw new Error('the purchases failed', { cause: loadError });
  const ordersMade = (await engine.status(SALE))!.ordersMade;
  const rowsEnd = await rowsInPg();
  const catchUp = {
    seconds: Number(seconds.toFixed(1)),
    entriesAcknowledged: acked,
    entriesPerSecond: Math.round(acked / seconds),
    rowsWritten: rows1 - rowsAtThaw,
    ordersPerSecond: Math.round((rows1 - rowsAtThaw) / seconds),
    arrivalOrdersPerSecond: STOP_AT_THAW ? 0 : Math.round((made - madeAtThaw) / seconds),
  };
  phase('caught-up', catchUp);
  const result = {
    date: new Date().toISOString(),
    cli: CLI,
    rate: RATE,
    perCall: PER_CALL,
    paidShare: PAID_SHARE,
    batch: BATCH,
    stopBuyingAtThaw: STOP_AT_THAW,
    cpus: cpus().length,
    loadavg: loadavg(),
    warm: { seconds: WARM_S, maxBacklogEntries: warmMax },
    atThaw,
    catchUp,
    end: { ordersMade, rowsInPostgres: rowsEnd, exact: ordersMade === rowsEnd },
  };
  console.log(JSON.stringify(result, null, 2));
  if (ordersMade !== rowsEnd) console.error(`MISMATCH: Redis made ${ordersMade} orders, PostgreSQL holds ${rowsEnd}`);
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'store-worker-catch-up.json');
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${out}`);
} finally {
  for (const stop of stopAll) await stop().catch(() => {});
}
