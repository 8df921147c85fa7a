import { connectRedisReady } from '../redis/connection.js';
import { SaleEngine } from '../sale/engine.js';
import { createUnlessLost } from '../sale/fresh-create.js';
import { createPool } from '../store/connection.js';
import { OrderStore } from '../store/order-store.js';
import type { SaleConfig } from '../sale/types.js';
import { LaunchError } from './errors.js';
import { redactUrl } from '../store/connection.js';

/**
 * The sale `up` makes so the article's `ab -n 10000 -c 100 http://127.0.0.1:8080/buy/ticket` works as
 * written: 10,000 tickets, anonymous buyers allowed (ab sends no user), one per user when a user is given,
 * unpaid holds released after 15 minutes.
 */
export const DEMO_SALE: SaleConfig = { id: 'demo', total: 10_000, perUserLimit: 1, holdSeconds: 900, anonymous: true };

/**
 * Creates the demo sale unless it exists; an existing one is left exactly as it is. With the order store
 * (`databaseUrl`), a demo that Redis lost but PostgreSQL has is refused, not made again with its full stock.
 */
export async function ensureDemoSale(redisUrl: string, config: SaleConfig = DEMO_SALE, databaseUrl?: string): Promise<'created' | 'exists'> {
  let redis;
  try {
    redis = await connectRedisReady(redisUrl, { name: 'ticket-spike-up', readyTimeoutMs: 10_000, commandTimeoutMs: 5000 });
  } catch (err) {
    throw new LaunchError('DEMO_SALE', `cannot reach Redis at ${redactUrl(redisUrl)} to create the demo sale: ${(err as Error).message}`);
  }
  const pool = databaseUrl === undefined || databaseUrl === '' ? null : createPool(databaseUrl, { max: 1, name: 'ticket-spike-up' });
  try {
    const store = pool === null ? null : new OrderStore(pool);
    return await createUnlessLost(new SaleEngine(redis), store === null ? null : (id) => store.hasSale(id), config);
  } catch (err) {
    throw new LaunchError('DEMO_SALE', `creating the demo sale "${config.id}" failed: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
    await pool?.end().catch(() => {});
  }
}
