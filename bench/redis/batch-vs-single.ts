/**
 * Question: how many purchases/s does Redis decide with one script call per purchase (the article's way:
 * every request calls the script itself) versus the ReservationBatcher (one reserve-batch call per batch),
 * at the same concurrency — and what does appendfsync always cost against everysec?
 *
 * Run: node --import tsx bench/redis/batch-vs-single.ts [--seconds 4] [--rounds 2] [--concurrency 256] [--max-batch 128]
 * The scenarios run interleaved, ROUNDS times; the figures are the best round of each (the machine is shared,
 * so the best round is the least disturbed one); every round is kept in the JSON.
 * Starts its own redis-server children (AOF on, like the embedded Redis); writes bench/results/redis-batch.json.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';
import type { Redis } from 'ioredis';
import { RedisServer } from '../../test/helpers/redis-server.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { Outcome } from '../../src/redis/codes.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { ReservationBatcher } from '../../src/sale/batcher.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { fileURLToPath } from 'node:url';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const SECONDS = arg('seconds', 4);
const ROUNDS = arg('rounds', 2);
const MAX_BATCH = arg('max-batch', 128);
const CONCURRENCY = arg('concurrency', 256);
const WARMUP_MS = 500;

type Mode = 'single' | 'batched';
interface Row {
  mode: Mode;
  appendfsync: 'always' | 'everysec';
  purchasesPerSecond: number;
  meanLatencyMs: number;
  p99LatencyMs: number;
  purchases: number;
  scriptCalls: number;
  failures: number;
  auditMs: number;
  /** Redis CPU (user + sys, from INFO cpu) per purchase: less sensitive to other load on the machine. */
  redisCpuUsPerPurchase: number;
  /** This process's CPU (the callers, batcher, ioredis) per purchase: the other half of the 2 cores. */
  clientCpuUsPerPurchase: number;
  orders: number;
}

async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let n = 0;
  for (const m of info.matchAll(/cmdstat_(eval|evalsha):calls=(\d+)/g)) n += Number(m[2]);
  return n;
}

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]);
}

async function scenario(mode: Mode, appendfsync: 'always' | 'everysec'): Promise<Row> {
  const server = await RedisServer.start({ args: ['--appendfsync', appendfsync] });
  const redis = (await connectRedisReady(server.url, { commandTimeoutMs: 30_000 })) as Redis;
  try {
    const engine = new SaleEngine(redis);
    const sale = `bench-${mode}`;
    await engine.createSale({ id: sale, total: 100_000_000, perUserLimit: 1, holdSeconds: 900, anonymous: false });
    const batcher = new ReservationBatcher(engine, { maxBatch: MAX_BATCH, windowMs: 1, deadlineMs: 30_000 });
    let user = 0;
    const buy = async (): Promise<boolean> => {
      const p = { orderId: newOrderId(sale), user: `u${user++}` };
      if (mode === 'single') {
        const r = await engine.reserveBatch(sale, newBatchId(), [p]);
        return r.results[0].outcome === Outcome.Success;
      }
      return (await batcher.reserve(sale, p)).outcome === Outcome.Success;
    };
    let measuring = false;
    let running = true;
    let done = 0;
    let failures = 0;
    const latencies: number[] = [];
    const loops = Array.from({ length: CONCURRENCY }, async () => {
      while (running) {
        const t0 = performance.now();
        const ok = await buy().catch(() => false);
        if (!measuring) continue;
        done++;
        if (!ok) failures++;
        if (latencies.length < 200_000) latencies.push(performance.now() - t0);
      }
    });
    await new Promise((res) => setTimeout(res, WARMUP_MS));
    const calls0 = await scriptCalls(redis);
    const cpu0 = await redisCpu(redis);
    const client0 = process.cpuUsage();
    measuring = true;
    const start = performance.now();
    await new Promise((res) => setTimeout(res, SECONDS * 1000));
    measuring = false;
    const client = process.cpuUsage(client0);
    const elapsed = (performance.now() - start) / 1000;
    const calls = (await scriptCalls(redis)) - calls0;
    const cpu = (await redisCpu(redis)) - cpu0;
    running = false;
    await Promise.all(loops);
    await batcher.drain();
    latencies.sort((a, b) => a - b);
    const a0 = performance.now();
    const audit = await engine.audit(sale);
    const auditMs = round(performance.now() - a0);
    if (!audit.ok) throw new Error(`audit failed after ${mode}: ${audit.problems.join('; ')}`);
    return {
      mode,
      appendfsync,
      purchasesPerSecond: Math.round(done / elapsed),
      meanLatencyMs: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
      p99LatencyMs: round(latencies[Math.floor(latencies.length * 0.99)] ?? 0),
      purchases: done,
      scriptCalls: calls,
      failures,
      auditMs,
      redisCpuUsPerPurchase: round((cpu * 1e6) / Math.max(1, done)),
      clientCpuUsPerPurchase: round((client.user + client.system) / Math.max(1, done)),
      orders: audit.orders,
    };
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const rounds: Row[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const [mode, fsync] of [
    ['single', 'always'],
    ['batched', 'always'],
    ['batched', 'everysec'],
    ['single', 'everysec'],
  ] as const) {
    const row = await scenario(mode, fsync);
    rounds.push(row);
    console.log(
      `round ${round + 1}  ${mode.padEnd(8)} appendfsync ${fsync.padEnd(8)} ${String(row.purchasesPerSecond).padStart(7)} purchases/s` +
        `  mean ${row.meanLatencyMs} ms  p99 ${row.p99LatencyMs} ms  ${row.scriptCalls} script calls` +
        `  redis ${row.redisCpuUsPerPurchase} µs cpu/purchase  client ${row.clientCpuUsPerPurchase} µs` +
        `  (audit of ${row.orders} orders: ${row.auditMs} ms)`,
    );
  }
}
const best = (m: Mode, f: string) =>
  rounds.filter((r) => r.mode === m && r.appendfsync === f).reduce((a, b) => (b.purchasesPerSecond > a.purchasesPerSecond ? b : a));
const rows = (['single', 'batched'] as const).flatMap((m) => (['always', 'everysec'] as const).map((f) => best(m, f)));
const get = (m: Mode, f: string) => rows.find((r) => r.mode === m && r.appendfsync === f)!.purchasesPerSecond;
const ratio = round(get('batched', 'always') / get('single', 'always'));
const ratioEverysec = round(get('batched', 'everysec') / get('single', 'everysec'));
const fsyncCost = round(1 - get('batched', 'always') / get('batched', 'everysec'));
for (const r of rows) console.log(`best     ${r.mode.padEnd(8)} appendfsync ${r.appendfsync.padEnd(8)} ${String(r.purchasesPerSecond).padStart(7)} purchases/s`);
console.log(`batched / single (appendfsync always): ${ratio}x   (target >= 5x)`);
const cpuOf = (m: Mode) => Math.min(...rounds.filter((r) => r.mode === m && r.appendfsync === 'always').map((r) => r.redisCpuUsPerPurchase));
const cpuRatio = round(cpuOf('single') / cpuOf('batched'));
console.log(`Redis CPU per purchase, single / batched (always): ${cpuRatio}x`);
console.log(`batched, always vs everysec: always is ${Math.round(fsyncCost * 100)} % slower`);

const out = {
  question: 'purchases/s: one script call per purchase vs ReservationBatcher, same concurrency; appendfsync always vs everysec',
  command: 'node --import tsx bench/redis/batch-vs-single.ts',
  date: new Date().toISOString(),
  node: process.version,
  redis: execFileSync('redis-server', ['--version']).toString().trim(),
  cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
  loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
  seconds: SECONDS,
  concurrency: CONCURRENCY,
  rounds: ROUNDS,
  batcher: { maxBatch: MAX_BATCH, windowMs: 1 },
  best: rows,
  allRounds: rounds,
  ratioBatchedOverSingleAlways: ratio,
  ratioBatchedOverSingleEverysec: ratioEverysec,
  redisCpuPerPurchaseRatioSingleOverBatched: cpuRatio,
  alwaysSlowdownVsEverysecBatched: fsyncCost,
};
const dir = fileURLToPath(new URL('../results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'redis-batch.json'), JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${join(dir, 'redis-batch.json')}`);
