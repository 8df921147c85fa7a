/**
 * Question: what does a flood of made-up order ids cost PostgreSQL, and do lookups of real retired orders
 * still get through it (issue 17)? An attacker uses a REAL sale id with a made-up suffix (and, second, a sale
 * id that exists nowhere, third, a new made-up sale id each time), sent straight to a node's GET /orders/{id}.
 *
 * Run: node --import tsx --conditions=ticket-spike-source bench/store/made-up-lookups.ts [--ids 2000] [--concurrency 64]
 * Starts its own Redis, PostgreSQL (with pg_stat_statements) and one node (2 uWS threads, a database); makes a
 * sale, buys and pays 20 orders through the node and retires them by hand (upsert into PostgreSQL, then
 * retireOrders — the order worker's job, so no worker queries meanwhile). Then, per kind of made-up id: IDS
 * lookups at CONCURRENCY while one client reads the real retired orders in a loop; reports PostgreSQL
 * statements per made-up id (pg_stat_statements: every statement the database ran) and the real lookups'
 * answers (200 / 503) and p99 (each real lookup answered 200 is one of the statements, not counted per made-up id).
 * Writes bench/results/store-made-up-lookups.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import type { OrderView } from '../../src/sale/types.js';
import { createPool } from '../../src/store/connection.js';
import { migrate } from '../../src/store/migrations.js';
import { OrderStore } from '../../src/store/order-store.js';
import { NodeProcess, http, keepAliveAgent, pool as inParallel } from '../../test/helpers/node-process.js';
import { PostgresServer } from '../../test/helpers/postgres-server.js';
import { RedisServer } from '../../test/helpers/redis-server.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const IDS = arg('ids', 2000);
const CONCURRENCY = arg('concurrency', 64);
const SALE = 'BENCH';

const redisServer = await RedisServer.start({ args: ['--appendfsync', 'no'] });
const pg = await PostgresServer.start({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
const db = createPool(pg.url, { max: 1 });
const stopAll: Array<() => Promise<unknown>> = [() => redisServer.stop(), () => pg.stop(), () => db.end()];
try {
  await migrate(db);
  await db.query('create extension if not exists pg_stat_statements');
  const redis = (await connectRedisReady(redisServer.url)) as Redis;
  stopAll.unshift(async () => redis.disconnect());
  const engine = new SaleEngine(redis);
  await engine.createSale({ id: SALE, total: 1000, perUserLimit: 100, holdSeconds: 900, anonymous: false });
  const node = await NodeProcess.start({ redisUrl: redisServer.url, threads: 2, env: { DATABASE_URL: pg.url } });
  stopAll.unshift(() => node.stop());
  const agent = keepAliveAgent(CONCURRENCY + 1);
  stopAll.unshift(async () => agent.destroy());

  const real: string[] = [];
  for (let i = 0; i < 20; i++) {
    const bought = await http(agent, 'GET', `${node.url}/buy/ticket?sale=${SALE}&user=b${i}`);
    const id = (bought.json?.data as { orderId: string }).orderId;
    await http(agent, 'POST', `${node.url}/orders/${id}/pay`);
    real.push(id);
  }
  const views = (await Promise.all(real.map((id) => engine.getOrder(id)))) as OrderView[];
  await new OrderStore(db).upsertOrders(views.map((v) => ({ orderId: v.id, saleId: SALE, userId: v.user, status: v.status, reservedAt: v.createdAt!, expiresAt: v.expiresAt, paidAt: v.paidAt! })));
  await engine.retireOrders(SALE, real, 0);

  const statements = async () =>
    Number((await db.query<{ n: string }>(`select coalesce(sum(calls), 0) as n from pg_stat_statements where query not ilike '%pg_stat_statements%'`)).rows[0].n);

  const results = [];
  const suffix = () => randomBytes(16).toString('base64url');
  const kinds = {
    'real sale, made-up suffix': () => `${SALE}.${suffix()}`,
    'sale that exists nowhere': () => `NOSUCH.${suffix()}`,
    'a new made-up sale each': () => `N${randomBytes(9).toString('base64url')}.${suffix()}`,
  };
  for (const [kind, madeUp] of Object.entries(kinds)) {
    const ids = Array.from({ length: IDS }, madeUp);
    const before = await statements();
    let flooding = true;
    const realAnswers: Array<{ status: number; ms: number }> = [];
    const prober = (async () => {
      for (let i = 0; flooding; i++) {
        const t0 = performance.now();
        const r = await http(agent, 'GET', `${node.url}/orders/${real[i % real.length]}`);
        realAnswers.push({ status: r.status, ms: performance.now() - t0 });
      }
    })();
    const t0 = performance.now();
    const answers = await inParallel(CONCURRENCY, ids.map((id) => () => http(agent, 'GET', `${node.url}/orders/${id}`)));
    const seconds = (performance.now() - t0) / 1000;
    flooding = false;
    await prober;
    const spent = (await statements()) - before;
    const status = (list: Array<{ status: number }>) => list.reduce<Record<string, number>>((m, a) => ({ ...m, [a.status]: (m[a.status] ?? 0) + 1 }), {});
    const ms = realAnswers.map((a) => a.ms).sort((a, b) => a - b);
    // Each real lookup answered 200 ran exactly one order query: the rest is what the made-up ids cost.
    const forReal = realAnswers.filter((a) => a.status === 200).length;
    const row = {
      kind,
      madeUpIds: IDS,
      madeUpAnswers: status(answers),
      lookupsPerSecond: Math.round(IDS / seconds),
      postgresStatements: spent,
      statementsPerMadeUpId: Number(((spent - forReal) / IDS).toFixed(4)),
      realLookups: { answers: status(realAnswers), p99Ms: Number((ms[Math.floor(ms.length * 0.99)] ?? 0).toFixed(1)) },
    };
    console.log(JSON.stringify(row));
    results.push(row);
  }
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'store-made-up-lookups.json');
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), ids: IDS, concurrency: CONCURRENCY, threads: 2, cpus: cpus().length, loadavg: loadavg(), results }, null, 2) + '\n');
  console.log(`wrote ${out}`);
} finally {
  for (const stop of stopAll) await stop().catch(() => {});
}
