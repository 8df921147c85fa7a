/**
 * Question: how long does auditing a big sale block Redis for everyone else — the paged audit of
 * src/sale/audit.ts against the single audit script it replaced (lua/audit-6.lua at commit 34bc1b6)?
 *
 * Run: node --import tsx bench/redis/audit-latency.ts [--orders 300000] [--page-size 500] [--old-commit 34bc1b6]
 * A fresh redis-server; a sale filled with `orders` real orders by the reserve-batch script (512 per call,
 * distinct users, every third with an Idempotency-Key), one in 20 paid, one in 50 cancelled. Then each audit
 * runs while a second connection PINGs every ~1 ms: prints the audit's wall time, the ping round trips (max,
 * p99, count) and Redis's own view (SLOWLOG: the longest single script call). The old script is read with
 * `git show <commit>:lua/audit-6.lua` and run with the current includes. Prints only; writes nothing.
 */
import type { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { RedisServer } from '../../test/helpers/redis-server.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { Outcome } from '../../src/redis/codes.js';
import { saleKeys } from '../../src/redis/keys.js';
import { LUA_DIR, loadScripts } from '../../src/redis/scripts.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const ORDERS = Number(arg('orders', '300000'));
const PAGE = Number(arg('page-size', '500'));
const OLD = arg('old-commit', '34bc1b6');
const SALE = 'bench';

/**
 * PINGs every ~1 ms from a worker thread with its own connection (so the auditor's own work in this process
 * does not delay the pings) until stopped; the round trips in ms and how many were refused BUSY (a script past
 * lua-time-limit, 5 s: Redis then refuses every other command until the script ends).
 */
const PINGER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Redis } = require('ioredis');
const client = new Redis(workerData.url, { maxRetriesPerRequest: 1 });
const rtts = [];
let busy = 0;
let running = true;
parentPort.on('message', () => { running = false; });
(async () => {
  await new Promise((r) => client.once('ready', r));
  parentPort.postMessage('ready');
  while (running) {
    const t0 = performance.now();
    await client.ping().catch((err) => { if (!/BUSY/.test(err.message)) throw err; busy++; });
    rtts.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 1));
  }
  client.disconnect();
  parentPort.postMessage({ rtts, busy });
})();
`;

async function pinger(url: string): Promise<{ stop: () => Promise<{ rtts: number[]; busy: number }> }> {
  const worker = new Worker(PINGER, { eval: true, workerData: { url } });
  await new Promise((res) => worker.once('message', res));
  return {
    stop: () =>
      new Promise((res) => {
        worker.once('message', (m: { rtts: number[]; busy: number }) => void worker.terminate().then(() => res(m)));
        worker.postMessage('stop');
      }),
  };
}

function stats(rtts: number[]): string {
  const s = [...rtts].sort((a, b) => a - b);
  const p99 = s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? 0;
  return `ping max ${s[s.length - 1].toFixed(1)} ms, p99 ${p99.toFixed(2)} ms, median ${s[s.length >> 1].toFixed(2)} ms (${s.length} pings)`;
}

const SCRIPT_NAMES = new Map(loadScripts().map((d) => [createHash('sha1').update(d.lua).digest('hex'), d.name]));

/**
 * Per script, from SLOWLOG (calls over 1 ms; Redis 7 logs the commands a script calls too, so logging every call
 * would overflow it): how many calls took over 1 ms, and the longest. Plus every script call's mean (commandstats).
 */
async function scriptTimes(redis: Redis): Promise<string> {
  const log = (await redis.slowlog('GET', 1_000_000)) as [number, number, number, string[]][];
  const by = new Map<string, number[]>();
  for (const e of log) {
    if (!/^eval/i.test(e[3][0] ?? '')) continue;
    const name = /^evalsha$/i.test(e[3][0]) ? (SCRIPT_NAMES.get(e[3][1]) ?? 'other') : 'eval';
    by.set(name, [...(by.get(name) ?? []), e[2] / 1000]);
  }
  const slow = [...by]
    .map(([name, ms]) => `${name} ${ms.length} over 1 ms, max ${Math.max(...ms).toFixed(1)} ms`)
    .join(', ');
  const stats = await redis.info('commandstats');
  let calls = 0;
  let usec = 0;
  for (const m of stats.matchAll(/cmdstat_(eval|evalsha):calls=(\d+),usec=(\d+)/g)) {
    calls += Number(m[2]);
    usec += Number(m[3]);
  }
  return `${calls} script calls, mean ${(usec / calls / 1000).toFixed(2)} ms; ${slow || 'none over 1 ms'}`;
}

async function measure(redis: Redis, label: string, run: () => Promise<string>): Promise<void> {
  await redis.slowlog('RESET');
  await redis.config('RESETSTAT');
  const p = await pinger(server.url);
  await sleep(50);
  const t0 = performance.now();
  const what = await run();
  const ms = performance.now() - t0;
  await sleep(50);
  const { rtts, busy } = await p.stop();
  const times = await scriptTimes(redis);
  console.log(
    `${label}: ${Math.round(ms)} ms wall; ${stats(rtts)}${busy > 0 ? `, ${busy} refused BUSY` : ''}; ${what}\n  script calls: ${times}`,
  );
}

const server = await RedisServer.start({ args: ['--appendfsync', 'everysec', '--slowlog-log-slower-than', '1000', '--slowlog-max-len', '100000'] });
const redis = (await connectRedisReady(server.url, { commandTimeoutMs: 60_000 })) as Redis;
try {
  const engine = new SaleEngine(redis);
  await engine.createSale({ id: SALE, total: ORDERS, perUserLimit: 1, holdSeconds: 86_400, anonymous: false });
  const f0 = performance.now();
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < ORDERS) {
        const from = next;
        next += Math.min(512, ORDERS - from);
        const ps = Array.from({ length: Math.min(512, ORDERS - from) }, (_, j) => ({
          orderId: newOrderId(SALE),
          user: `u${from + j}`,
          ...((from + j) % 3 === 0 ? { idempotencyKey: `k${from + j}` } : {}),
        }));
        const r = await engine.reserveBatch(SALE, newBatchId(), ps);
        r.results.forEach((x) => {
          if (x.outcome !== Outcome.Success) throw new Error(`fill: outcome ${x.outcome}`);
          ids.push(x.orderId);
        });
      }
    }),
  );
  for (let i = 0; i < ids.length; i += 20 * 500) {
    const chunk = [];
    for (let j = i; j < Math.min(ids.length, i + 20 * 500); j += 20) chunk.push(engine.pay(ids[j]));
    for (let j = i + 7; j < Math.min(ids.length, i + 20 * 500); j += 50) chunk.push(engine.cancel(ids[j]).catch(() => undefined));
    await Promise.all(chunk);
  }
  console.log(`filled ${ids.length} orders in ${Math.round(performance.now() - f0)} ms; load ${loadavg()[0].toFixed(2)}`);

  await measure(redis, `paged audit (page ${PAGE})`, async () => {
    const r = await engine.audit(SALE, { pageSize: PAGE });
    if (!r.ok) throw new Error(`audit not ok: ${r.problems.slice(0, 3).join('; ')}`);
    return `${r.calls} calls, ${r.orders} orders, ok`;
  });

  // The old single script, from git, with today's includes (unchanged since).
  const dir = mkdtempSync(join(tmpdir(), 'ts-old-audit-'));
  try {
    cpSync(join(LUA_DIR, 'includes'), join(dir, 'includes'), { recursive: true });
    writeFileSync(join(dir, 'audit-6.lua'), execFileSync('git', ['show', `${OLD}:lua/audit-6.lua`]));
    const old = loadScripts(dir).find((s) => s.name === 'audit')!;
    const k = saleKeys(SALE);
    await measure(redis, `old single-script audit (${OLD})`, async () => {
      const reply = JSON.parse((await redis.eval(old.lua, 6, k.meta, k.holders, k.orders, k.idem, k.deadlines, k.stream, 100)) as string);
      return `${reply.orders} orders, ${reply.problemCount} problems`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  redis.disconnect();
  await server.stop();
}
