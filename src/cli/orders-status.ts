import { orderLag, type OrderLag } from '../redis/order-stream.js';
import { createPool, redactUrl } from '../store/connection.js';
import { OrderStore, type StatusCounts } from '../store/order-store.js';
import { withEngine } from './redis-client.js';

export interface SaleOrdersStatus extends OrderLag {
  /** Orders PostgreSQL holds for the sale, by status (absent without a database). */
  stored?: StatusCounts;
}

export interface OrdersStatusReport {
  database: string | null;
  sales: SaleOrdersStatus[];
}

/** Lag per sale from Redis, and counts from PostgreSQL when a database is known. */
export async function ordersStatus(redisUrl: string, databaseUrl: string | undefined, sale: string | undefined): Promise<OrdersStatusReport> {
  const lags = await withEngine(redisUrl, async (engine) => {
    const sales = sale !== undefined ? [sale] : await engine.listSales();
    const time = await engine.redis.time();
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    return Promise.all(sales.map((s) => orderLag(engine.redis, s, now)));
  });
  if (databaseUrl === undefined) return { database: null, sales: lags };
  const pool = createPool(databaseUrl, { max: 1, name: 'orders-status' });
  try {
    const store = new OrderStore(pool);
    const sales = await Promise.all(lags.map(async (lag) => ({ ...lag, stored: await store.countByStatus(lag.sale) })));
    return { database: redactUrl(databaseUrl), sales };
  } finally {
    await pool.end();
  }
}

export function formatOrdersStatus(report: OrdersStatusReport): string {
  const lines = report.sales.map((s) => {
    const lag = s.group ? `pending ${s.pending}, unread ${s.unread ?? '?'}, oldest ${(s.oldestAgeMs / 1000).toFixed(1)} s` : 'no worker has read it yet';
    const stored = s.stored ? `; PostgreSQL: ${s.stored.held} reserved, ${s.stored.paid} paid, ${s.stored.cancelled} cancelled, ${s.stored.expired} expired` : '';
    return `${s.sale}: ${lag}${stored}`;
  });
  const head = report.database === null ? 'orders (no database given: lag only)' : `orders -> ${report.database}`;
  return `${[head, ...lines].join('\n')}\n`;
}
