import type { Cluster, Redis } from 'ioredis';

/**
 * Closes a connection without ever blocking shutdown: QUIT (lets replies already on the wire arrive) when
 * the connection is up, bounded by `timeoutMs`; a plain disconnect when it is not (a QUIT on a reconnecting
 * client waits for a reconnection that may never come).
 */
export async function closeRedis(redis: Redis | Cluster, timeoutMs = 500): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.quit(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } catch {
    // fall through to disconnect
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}
