import { connectRedisReady } from '../redis/connection.js';
import { SaleEngine } from '../sale/engine.js';

export interface CliRedisOptions {
  /** Per-command timeout (ms); default the connection policy's 1000. */
  commandTimeoutMs?: number;
  /** How long to wait for Redis to accept the connection (ms); default 5000. */
  readyTimeoutMs?: number;
}

/** A short-lived engine for one CLI command; `use` runs with it and the connection is closed after. */
export async function withEngine<T>(redisUrl: string, use: (engine: SaleEngine) => Promise<T>, options: CliRedisOptions = {}): Promise<T> {
  const redis = await connectRedisReady(redisUrl, {
    name: 'ticket-spike-cli',
    readyTimeoutMs: options.readyTimeoutMs ?? 5000,
    ...(options.commandTimeoutMs !== undefined ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
  });
  try {
    return await use(new SaleEngine(redis));
  } finally {
    redis.disconnect();
  }
}

/** The URL as it may be printed: without a user name or password. */
export function shownUrl(redisUrl: string): string {
  try {
    const u = new URL(redisUrl);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'the Redis URL given';
  }
}
