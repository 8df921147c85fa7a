import type { Cluster, Redis } from 'ioredis';
import { EngineError, ScriptCode, errorFromCode } from '../redis/codes.js';
import { REGISTRY } from '../redis/keys.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { MAX_SALES, SALE_TIME_MS } from '../rules/input-rules.js';

/**
 * The sale registry in Redis (lua/reserve-place-2.lua): one place per live sale, at most `capacity` of them,
 * so no node is ever asked to hold more sales than its --max-sales. The place is taken BEFORE the sale's own
 * keys are written: on Redis Cluster the registry ({ts:registry}) and the sale ({sale:S}) live in different
 * slots, so the two cannot be one script; this order means a sale never exists without its place (at worst a
 * place exists for a sale whose creation failed, and a retry of the same create reuses it).
 *
 * A place frees itself at releaseAt = closesAt + REGISTRY_GRACE_MS by Redis's clock (pruned lazily by the
 * next reservation). The grace covers the nodes: each one retires a sale's stock slot RETIRE_AFTER_MS after
 * closesAt, after its threads have let go of it (or a quarantine of --deadline-ms + 1 s): see
 * src/node/main/registry.ts. A sale without closesAt keeps its place for good.
 */
export const REGISTRY_GRACE_MS = 10_000;

export type Placed = 'new' | 'kept';

/** When a sale's place frees itself; 0 = never (no closesAt). */
export function releaseAtOf(closesAt: number | null | undefined): number {
  if (closesAt === null || closesAt === undefined || closesAt <= 0) return 0;
  return Math.min(closesAt + REGISTRY_GRACE_MS, SALE_TIME_MS.max);
}

function checkCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < MAX_SALES.min || capacity > MAX_SALES.max) {
    throw new EngineError('ERR_INVALID_ARGUMENT', `capacity ${capacity} is invalid: use ${MAX_SALES.min}..${MAX_SALES.max} (the --max-sales)`, 'capacity');
  }
}

/** Takes the sale's place, or throws ERR_REGISTRY_FULL / ERR_REGISTRY_CAPACITY (nothing placed). */
export async function reservePlace(scripts: ScriptCommands, saleId: string, closesAt: number | null | undefined, capacity: number): Promise<Placed> {
  checkCapacity(capacity);
  const reply = await scripts.reservePlace(REGISTRY.places, REGISTRY.capacity, saleId, releaseAtOf(closesAt), capacity);
  if (!Array.isArray(reply)) throw new EngineError('ERR_UNEXPECTED_REPLY', `sale ${saleId}: unexpected registry reply ${JSON.stringify(reply)}`);
  const [code, detail] = reply as [ScriptCode, unknown];
  if (code === ScriptCode.Ok) return 'new';
  if (code === ScriptCode.Exists) return 'kept';
  throw errorFromCode(code, String(detail), `sale ${saleId}`);
}

/** Gives back a place taken for a sale that was surely not created (the script refused it). */
export async function releasePlace(redis: Redis | Cluster, saleId: string): Promise<void> {
  await redis.zrem(REGISTRY.places, saleId);
}

/**
 * The sale already existed: its place (just taken with the new request's closesAt) gets the existing sale's
 * own release time. XX: only a place that is there is moved.
 */
export async function matchPlace(redis: Redis | Cluster, saleId: string, closesAt: number): Promise<void> {
  const releaseAt = releaseAtOf(closesAt);
  await redis.zadd(REGISTRY.places, 'XX', releaseAt === 0 ? '+inf' : releaseAt, saleId);
}

/**
 * An operator closed the sale (lua/close-sale-1.lua set closesAt): its place gets the release time of a sale that
 * closed then, so it frees closesAt + REGISTRY_GRACE_MS later as for one that closed on schedule. XX: only a
 * place that is there (a pruned one stays pruned); LT: only ever earlier, so a place never frees before its
 * sale has closed, whatever order two closes run in.
 */
export async function movePlaceEarlier(redis: Redis | Cluster, saleId: string, closesAt: number): Promise<void> {
  const releaseAt = releaseAtOf(closesAt);
  if (releaseAt > 0) await redis.zadd(REGISTRY.places, 'XX', 'LT', releaseAt, saleId);
}

/** Ids with a place (finished ones not yet pruned included: the node judges each by its closesAt). */
export function placedSales(redis: Redis | Cluster): Promise<string[]> {
  return redis.zrange(REGISTRY.places, 0, -1);
}

/**
 * The registry's capacity: stores `offered` when none is stored yet, then returns what is stored. A node
 * whose --max-sales is below it must not serve (it could not hold every live sale).
 */
export async function registryCapacity(redis: Redis | Cluster, offered: number): Promise<number> {
  checkCapacity(offered);
  await redis.set(REGISTRY.capacity, offered, 'NX');
  return Number(await redis.get(REGISTRY.capacity));
}
