import type { Test } from 'tap';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { createPool } from '../../src/store/connection.js';
import { migrate } from '../../src/store/migrations.js';
import { PostgresServer } from './postgres-server.js';
import { RedisServer } from './redis-server.js';

export interface OrderStack {
  redisServer: RedisServer;
  pg: PostgresServer;
  redis: Redis;
  engine: SaleEngine;
  pool: Pool;
}

/**
 * What the order-worker tests stand on: a real redis-server and PostgreSQL of their own, a client and an engine on
 * that Redis, a small pool on a migrated database — all stopped by the test's teardown.
 */
export async function startOrderStack(t: Test): Promise<OrderStack> {
  const redisServer = await RedisServer.start();
  const pg = await PostgresServer.start();
  t.teardown(async () => {
    await redisServer.stop();
    await pg.stop();
  });
  const redis = (await connectRedisReady(redisServer.url, { commandTimeoutMs: 10_000 })) as Redis;
  t.teardown(() => redis.disconnect());
  const pool = createPool(pg.url, { max: 2, onError: () => {} });
  t.teardown(() => pool.end());
  await migrate(pool);
  return { redisServer, pg, redis, engine: new SaleEngine(redis), pool };
}
