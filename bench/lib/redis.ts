// One fresh redis-server per system and scenario, all with the same flags (AOF, appendfsync always: a
// confirmed sale survives a power cut), so no system starts with another's data or a longer AOF.
import { tmpdir } from 'node:os';
import type { Redis } from 'ioredis';
import { Redis as RedisClient } from 'ioredis';
import { RedisServer } from '../../test/helpers/redis-server.js';

export const REDIS_SETTINGS = 'redis-server --appendonly yes --appendfsync always --save "" (one fresh server per system and scenario)';

/** Where each bench Redis makes its data directory, and so writes its AOF (RedisServer.start: a mkdtemp under os.tmpdir()). */
export const REDIS_DATA_PARENT = tmpdir();

export interface BenchRedis {
  server: RedisServer;
  client: Redis;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<BenchRedis> {
  const server = await RedisServer.start();
  const client = new RedisClient(server.url, { maxRetriesPerRequest: 1 });
  return {
    server,
    client,
    async stop() {
      client.disconnect();
      await server.stop();
    },
  };
}
