import type { StockCounters } from 'native-free-shm';
import type { SlotMemory } from './slot-memory.js';
import type { SaleFacts } from './types.js';

/** A node's place in the weighted split (nginx weights) and its slack. */
export interface QuotaPolicy {
  weight: number;
  totalWeight: number;
  quotaBuffer: number;
}

/**
 * How many units this node may take locally for a sale, from the global remaining in Redis:
 *
 *     quotaFor(remaining, weight, totalWeight, buffer) = min(remaining, ceil(remaining * weight / totalWeight) + buffer)
 *
 * - The weighted share follows nginx's split (node weight / sum of weights), so with proportional traffic
 *   every node runs out at about the same time.
 * - ceil, not floor: a node's quota is >= 1 whenever remaining >= 1, so a sale can never be stranded with
 *   stock in Redis and every quota at 0 — whatever happened to the other nodes (a dead neighbour's share
 *   is simply part of `remaining`, and each refresh hands part of it to the live nodes).
 * - `buffer` (default 8, --quota-buffer) absorbs traffic that is not exactly proportional between two
 *   refreshes; it only costs doomed Redis calls (answered sold out by the authority), never an oversell.
 * - min(remaining, ...): never more than what exists, so a single node (weight == totalWeight) gets exactly
 *   `remaining` and its local sold-out answer is exact.
 *
 * Pure so test/unit/quota.test.ts can check it; callers subtract their in-flight units (localTarget).
 */
export function quotaFor(remaining: number, weight: number, totalWeight: number, buffer: number): number {
  if (!(remaining > 0) || !(weight > 0) || !(totalWeight > 0)) return 0;
  const share = Math.ceil((remaining * weight) / totalWeight) + Math.max(0, buffer);
  return Math.min(Math.floor(remaining), share);
}

/**
 * The value to store with setQuota: the node's quota minus the units its threads took and have not settled
 * yet (they are still in the batcher, so `remaining` does not include them). Without this a refresh while k
 * purchases are in flight would hand out k units twice.
 */
export function localTarget(quota: number, inFlight: number): number {
  return Math.max(0, quota - Math.max(0, inFlight));
}

/**
 * Main thread, every --reconcile-ms (200 ms) per known sale, and once when a sale is registered: the
 * authoritative refresh. Sets the local quota to quotaFor(remaining) minus the node's in-flight units and the
 * sold-out flag to remaining == 0. This is the only place that RAISES a quota (returned holds, a dead
 * neighbour's share) and the only place that clears sold out.
 *
 * Ordering: `remaining` is read first (facts), the in-flight count after. A purchase taken in between is
 * counted in flight and not in remaining (subtracted once: correct); one committed in between left flight and
 * is in remaining (correct); one committed between the Redis read and the in-flight read is counted in
 * neither, so the quota can be one unit per such purchase too high until the next refresh — that only costs a
 * purchase that Redis answers sold out. Never an oversell: Redis decides every unit.
 */
export function applyFacts(stock: StockCounters, slots: SlotMemory, slot: number, facts: SaleFacts, policy: QuotaPolicy): void {
  const quota = quotaFor(facts.remaining, policy.weight, policy.totalWeight, policy.quotaBuffer);
  const target = localTarget(quota, slots.inFlight(slot));
  if (stock.available(slot) !== target) stock.setQuota(slot, target);
  stock.setSoldOut(slot, facts.remaining <= 0);
}

/**
 * uWS thread, after each batch reply carrying the global remaining R: only ever LOWERS the local quota, to
 * quotaFor(R) (without subtracting in-flight units), and marks sold out when R == 0.
 *
 * Why only lower: replies from different threads arrive in any order, so a thread may hold an older, higher R
 * than a sibling already applied; raising from it would hand out stock that is gone. Lowering to an upper
 * bound is always safe, and raising is left to the single, ordered main-thread refresh above.
 * Why not subtract in-flight here: other threads' purchases already counted in R may still be unsettled in
 * the shared in-flight count, so subtracting would count them twice and strand units until the next refresh
 * (a false "sold out" while stock exists). Leaving them as slack over-admits by at most the in-flight count.
 * Why only when it changes something: setQuota writes every partition's cache line; a single node (weight ==
 * total) normally already sits at or below quotaFor(R), so the hot path does not write at all.
 */
export function clampFromReply(stock: StockCounters, slot: number, remaining: number, policy: QuotaPolicy): void {
  if (remaining <= 0) {
    stock.setSoldOut(slot, true);
    if (stock.available(slot) > 0) stock.setQuota(slot, 0);
    return;
  }
  const quota = quotaFor(remaining, policy.weight, policy.totalWeight, policy.quotaBuffer);
  if (stock.available(slot) > quota) stock.setQuota(slot, quota);
}
