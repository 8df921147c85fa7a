import type { Cluster, Redis } from 'ioredis';
import type { WorkerCounters } from '../../metrics/worker-metrics.js';
import { ensureOrderGroup, isNoGroup } from '../../redis/order-stream.js';
import type { SaleSlot } from './sale-slots.js';

/** A failing sale is tried again after 100 ms, doubling per failure in a row up to this. */
const MAX_SALE_BACKOFF_MS = 2000;
/** A sale that keeps failing is logged at its first failure, then at most this often. */
const SALE_LOG_EVERY_MS = 5000;

export interface FaultLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * One sale's step failed: counted, logged (its first failure in a row, then at most every 5 s, with the failures in
 * a row and since start), its own pending entries read first next time (the batch whose commit failed is retried as
 * soon as it can be, never left for XAUTOCLAIM), and tried again after 100 ms doubling to 2 s. NOGROUP (the group
 * destroyed, e.g. the sale made again while the worker ran): the group is re-created from the stream's start (a
 * repeated entry changes nothing), the sales row written again (a sale made again has a new order-id key), at once.
 */
export async function saleFailed(
  sale: string,
  slot: SaleSlot,
  err: unknown,
  now: number,
  deps: { redis: Redis | Cluster; log: FaultLog; counters?: WorkerCounters | undefined },
): Promise<void> {
  slot.failures++;
  slot.errors++;
  slot.ownPending = true;
  deps.counters?.saleFailed(sale);
  let retryInMs = Math.min(100 * 2 ** (slot.failures - 1), MAX_SALE_BACKOFF_MS);
  let regrouped: string | undefined;
  if (isNoGroup(err)) {
    try {
      await ensureOrderGroup(deps.redis, sale);
      Object.assign(slot, { row: undefined, claimCursor: '0-0', lastClaim: -Infinity });
      regrouped = 're-created';
      retryInMs = 0;
    } catch (again) {
      regrouped = `not re-created: ${message(again)}`;
    }
  }
  slot.retryAt = now + retryInMs;
  if (slot.failures === 1 || now - slot.loggedAt >= SALE_LOG_EVERY_MS) {
    slot.loggedAt = now;
    deps.log.warn(
      { sale, err: message(err), failures: slot.failures, errors: slot.errors, retryInMs, ...(regrouped !== undefined ? { group: regrouped } : {}) },
      "a sale's step failed; the other sales go on",
    );
  }
}
