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
 * Pure so test/unit-quota.test.ts can check it; callers subtract their in-flight units (see reconciler.ts).
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
