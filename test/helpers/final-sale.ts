// A sale driven to the end through the real scripts, for retention tests and bench/redis/retention-memory.ts:
// `orders` orders (512 per reserve-batch call, one user and one Idempotency-Key each), a share paid, a share
// cancelled, the rest left to expire (holdSeconds passes, then expireDue until nothing is due).
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { saleKeys } from '../../src/redis/keys.js';
import type { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { orderIdOf, fieldsOf } from './purchase-results.js';

export interface FinalSale {
  ids: string[];
  paid: string[];
  cancelled: string[];
  expired: string[];
  /** ms (Date.now) when the last order was made. */
  madeAt: number;
}

export interface FinalSaleOptions {
  orders: number;
  holdSeconds: number;
  paidShare?: number;
  cancelledShare?: number;
  perUserLimit?: number;
  /** Called after the pays and cancels, before the holds expire. */
  beforeExpiry?: (s: FinalSale) => Promise<void>;
}

async function inChunks<T>(items: T[], size: number, f: (x: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(f));
}

export async function makeFinalSale(engine: SaleEngine, sale: string, o: FinalSaleOptions): Promise<FinalSale> {
  await engine.createSale({ id: sale, total: o.orders, perUserLimit: o.perUserLimit ?? 1, holdSeconds: o.holdSeconds, anonymous: false });
  // Ids as a node makes them: tagged with the sale's key, so a node finds the retired ones in PostgreSQL.
  const idKey = (await engine.keyedStatus(sale))?.idKey ?? null;
  const ids: string[] = [];
  const nPaid = Math.round(o.orders * (o.paidShare ?? 0.3));
  const nCancelled = Math.round(o.orders * (o.cancelledShare ?? 0.1));
  // Each batch's paid and cancelled orders are paid and cancelled right after it is made: every hold has its whole
  // holdSeconds for it, however long the batches after it take on a busy machine.
  const settle = async (from: number, to: number) => {
    await inChunks(ids.slice(Math.max(from, 0), Math.min(to, nPaid)), 500, (id) => engine.pay(id));
    await inChunks(ids.slice(Math.max(from, nPaid), Math.min(to, nPaid + nCancelled)), 500, (id) => engine.cancel(id));
  };
  for (let i = 0; i < o.orders; i += 512) {
    const purchases = [];
    for (let j = i; j < Math.min(o.orders, i + 512); j++) purchases.push({ orderId: newOrderId(sale, idKey), user: `u${j}`, idempotencyKey: `${sale}-key-${j}` });
    const reply = await engine.reserveBatch(sale, newBatchId(), purchases);
    for (const r of reply.results) {
      if (fieldsOf(r).replayed !== false) throw new Error(`purchase not new: ${JSON.stringify(r)}`);
      ids.push(orderIdOf(r));
    }
    await settle(i, i + 512);
  }
  const madeAt = Date.now();
  const s: FinalSale = { ids, paid: ids.slice(0, nPaid), cancelled: ids.slice(nPaid, nPaid + nCancelled), expired: ids.slice(nPaid + nCancelled), madeAt };
  await o.beforeExpiry?.(s);
  await sleep(Math.max(0, madeAt + o.holdSeconds * 1000 + 50 - Date.now()));
  while ((await engine.expireDue(sale, 1000)).more);
  return s;
}

/** MEMORY USAGE (exact: SAMPLES 0) summed over the sale's keys; batch records ({sale:S}:batch:*, EX 600 s) apart. */
export async function saleMemory(redis: Redis, sale: string): Promise<{ keys: number; batchRecords: number; byKey: Record<string, number> }> {
  const prefix = saleKeys(sale).meta.replace(/meta$/, '');
  const byKey: Record<string, number> = {};
  let keys = 0;
  let batchRecords = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of found) {
      const bytes = Number((await redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0')) ?? 0);
      if (k.startsWith(`${prefix}batch:`)) batchRecords += bytes;
      else {
        keys += bytes;
        byKey[k.slice(prefix.length)] = bytes;
      }
    }
  } while (cursor !== '0');
  return { keys, batchRecords, byKey };
}

/** Retires every id (1000 per call) and trims the whole stream (nothing unacknowledged, no live deadline). */
export async function retireAll(engine: SaleEngine, redis: Redis, sale: string, ids: string[], idemWindowMs: number): Promise<number> {
  let retired = 0;
  for (let i = 0; i < ids.length; i += 1000) retired += (await engine.retireOrders(sale, ids.slice(i, i + 1000), idemWindowMs)).retired;
  const last = (await redis.xrevrange(saleKeys(sale).stream, '+', '-', 'COUNT', 1))[0];
  if (last !== undefined) {
    const [ms, seq] = last[0].split('-').map(Number) as [number, number];
    await engine.trimStream(sale, `${ms}-${seq + 1}`);
  }
  return retired;
}
