/**
 * Question: how much of a finished sale's Redis memory does retention give back?
 *
 * Run: node --import tsx --conditions=ticket-spike-source bench/redis/retention-memory.ts [--orders 100000] [--hold 15]
 * A fresh redis-server; a sale of `orders` orders made by the real reserve-batch script (512 per call, one user and
 * one Idempotency-Key each), 30 % paid, 10 % cancelled, the rest expired (hold passes, expire-holds sweeps). Then
 * every order is retired (idemWindowMs 0, 1000 ids per call) and the stream trimmed to its end. Prints MEMORY
 * USAGE (SAMPLES 0) of the sale's keys, per key and per order, and INFO used_memory, before and after. Batch
 * records ({sale:S}:batch:*) expire on their own after 600 s and are shown apart. Prints only.
 */
import type { Redis } from 'ioredis';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { makeFinalSale, retireAll, saleMemory } from '../../test/helpers/final-sale.js';
import { RedisServer } from '../../test/helpers/redis-server.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

const orders = Number(arg('orders', '100000'));
const server = await RedisServer.start();
const redis = (await connectRedisReady(server.url)) as Redis;
try {
  const engine = new SaleEngine(redis);
  const sale = 'mem';
  const empty = await usedMemory(redis);
  const s = await makeFinalSale(engine, sale, { orders, holdSeconds: Number(arg('hold', '15')) });
  const before = await saleMemory(redis, sale);
  const usedBefore = await usedMemory(redis);
  const retired = await retireAll(engine, redis, sale, s.ids, 0);
  const after = await saleMemory(redis, sale);
  const usedAfter = await usedMemory(redis);
  const audit = await engine.audit(sale);
  const per = (b: number) => (b / orders).toFixed(1);
  console.log(`${orders} orders: ${s.paid.length} paid, ${s.cancelled.length} cancelled, ${s.expired.length} expired; ${retired} retired`);
  console.log(`sale keys before: ${before.keys} B (${per(before.keys)} B/order) ${JSON.stringify(before.byKey)}; batch records ${before.batchRecords} B`);
  console.log(`sale keys after:  ${after.keys} B (${per(after.keys)} B/order) ${JSON.stringify(after.byKey)}; batch records ${after.batchRecords} B`);
  console.log(`drop of the sale's keys: ${((1 - after.keys / before.keys) * 100).toFixed(1)} %`);
  console.log(`INFO used_memory: empty ${empty}, before ${usedBefore} (+${usedBefore - empty}), after ${usedAfter} (+${usedAfter - empty}); ` +
    `drop of the sale's share ${((1 - (usedAfter - empty) / (usedBefore - empty)) * 100).toFixed(1)} % (batch records still in it)`);
  console.log(`audit after retention: ok=${audit.ok} closes=${audit.closes} countedPaid=${audit.countedPaid} retired=${audit.retired}`);
} finally {
  redis.disconnect();
  await server.stop();
}
