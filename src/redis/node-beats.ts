import type { Cluster, Redis } from 'ioredis';
import { DASHBOARD_NODES } from './keys.js';

/**
 * The live dashboard's heartbeats: every node's main thread writes its own figures (one small JSON, a few
 * hundred bytes) into one hash every tick, and a node with dashboards connected reads the whole hash once per
 * tick — never per connection, never on a uWS thread. One key, so it works on Redis Cluster as one slot.
 */

/** How long the hash lives without any write, and how old a node's field may get before a reader drops it. */
export const DASHBOARD_KEEP_MS = 5 * 60_000;

/** HSET of this node's heartbeat and a PEXPIRE of the hash, in one round trip (a pipeline). */
export async function writeBeat(redis: Redis | Cluster, nodeId: string, json: string): Promise<void> {
  const results = await redis.pipeline().hset(DASHBOARD_NODES, nodeId, json).pexpire(DASHBOARD_NODES, DASHBOARD_KEEP_MS).exec();
  const failed = results?.find(([err]) => err !== null);
  if (failed?.[0]) throw failed[0];
}

/** Every node's latest heartbeat, parsed (a field that is not JSON is left out). */
export async function readBeats(redis: Redis | Cluster): Promise<Map<string, Record<string, unknown>>> {
  const raw = await redis.hgetall(DASHBOARD_NODES);
  const beats = new Map<string, Record<string, unknown>>();
  for (const [id, text] of Object.entries(raw)) {
    try {
      const value = JSON.parse(text) as unknown;
      if (value !== null && typeof value === 'object') beats.set(id, value as Record<string, unknown>);
    } catch {
      // not ours or cut: ignore
    }
  }
  return beats;
}

/** Drops nodes whose heartbeat is older than DASHBOARD_KEEP_MS (a node that left for good). */
export async function dropBeats(redis: Redis | Cluster, nodeIds: string[]): Promise<void> {
  if (nodeIds.length > 0) await redis.hdel(DASHBOARD_NODES, ...nodeIds);
}
