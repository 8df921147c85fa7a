import type { SaleEngine } from '../../src/sale/engine.js';
import type { OrderView } from '../../src/sale/types.js';
import type { OrderRow, OrderStore } from '../../src/store/order-store.js';

/**
 * The order worker's job, done by hand (tests that need retired orders without a worker's timing): the orders'
 * current state from Redis into PostgreSQL, then the final ones retired from Redis. Throws unless every final
 * order was retired.
 */
export async function syncAndRetire(engine: SaleEngine, store: OrderStore, sale: string, ids: string[]): Promise<void> {
  const views = (await Promise.all(ids.map((id) => engine.getOrder(id)))) as OrderView[];
  const row = (v: OrderView): OrderRow => ({
    orderId: v.id,
    saleId: v.sale,
    userId: v.user,
    status: v.status,
    reservedAt: v.createdAt!,
    expiresAt: v.expiresAt,
    ...(v.paidAt !== undefined ? { paidAt: v.paidAt } : {}),
    ...(v.status === 'cancelled' || v.status === 'expired' ? { endedAt: Date.now() } : {}),
  });
  await store.upsertOrders(views.map(row));
  const final = views.filter((v) => v.status !== 'held').map((v) => v.id);
  const retired = await engine.retireOrders(sale, final, 0);
  if (retired.retired !== final.length) throw new Error(`retired ${retired.retired} of ${final.length} in ${sale}`);
}
