import { connectRedisReady } from '../redis/connection.js';
import { SaleEngine } from '../sale/engine.js';

/** A short-lived engine for one CLI command; `use` runs with it and the connection is closed after. */
export async function withEngine<T>(redisUrl: string, use: (engine: SaleEngine) => Promise<T>): Promise<T> {
  const redis = await connectRedisReady(redisUrl, { name: 'ticket-spike-cli', readyTimeoutMs: 5000 });
  try {
    return await use(new SaleEngine(redis));
  } finally {
    redis.disconnect();
  }
}
