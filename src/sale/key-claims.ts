import type { Cluster, Redis } from 'ioredis';
import { Outcome } from '../redis/codes.js';
import { buyerKeyClaim } from '../redis/keys.js';
import type { ScriptCommands } from '../redis/scripts.js';
import type { BatchResult, PurchaseRequest } from './types.js';

/**
 * A buyer's Idempotency-Key names one purchase, in one sale: its claim (ts:idemkey:<user> <key>) says which.
 * On standalone Redis reserve-batch reads and binds the claims itself, only for purchases that bought. On
 * Redis Cluster the claims live in other slots than the sale, so they are taken here before the script and let
 * go after it for the purchases that bought nothing.
 */

/** How long a buyer's Idempotency-Key stays bound to the sale it bought in. */
export const IDEMPOTENCY_KEY_WINDOW_SECONDS = 86_400;

/** Per purchase: the other sale its key already names, or null; `fresh`: this call made the claim. */
export type ClaimedKeys = (string | null)[] & { fresh: boolean[] };

/**
 * Each key claimed for this sale (SET NX GET, kept for the key's window) before the script runs. Per purchase:
 * null when the key is this sale's (new, or a retry), else the other sale it already names. One round trip for
 * the batch (the commands leave together), only for batches that carry buyers' keys; a proxy's request key
 * needs no claim.
 */
export async function claimBuyerKeys(redis: Redis | Cluster, saleId: string, purchases: PurchaseRequest[]): Promise<ClaimedKeys> {
  const claims = purchases.map((p) =>
    p.idempotencyKey === undefined || p.idempotencyKey === ''
      ? Promise.resolve(undefined)
      : redis.call('SET', buyerKeyClaim(p.user, p.idempotencyKey), saleId, 'EX', IDEMPOTENCY_KEY_WINDOW_SECONDS, 'NX', 'GET'),
  );
  const previous = await Promise.all(claims);
  const owners = previous.map((sale) => (typeof sale === 'string' && sale !== saleId ? sale : null)) as ClaimedKeys;
  // SET NX GET answers nil when it set the key: this call made the claim.
  owners.fresh = previous.map((sale, i) => claims[i] !== undefined && sale === null);
  return owners;
}

/**
 * A claim this call made whose purchase bought nothing (sold out, not open, limit, or the user's order found by
 * name) names nothing: let go, so
 * the buyer may use the key in another sale. A claim that already named this sale stays (an earlier purchase
 * of this key). Compare-and-delete per key (lua/release-claim-1.lua), so a claim another sale took meanwhile
 * is never deleted. An unknown outcome (the call threw) releases nothing.
 */
export async function releaseRefusedClaims(
  scripts: ScriptCommands,
  saleId: string,
  purchases: readonly PurchaseRequest[],
  claims: ClaimedKeys,
  results: readonly BatchResult[],
): Promise<void> {
  const release: Promise<unknown>[] = [];
  purchases.forEach((p, i) => {
    const r = results[i];
    // A replay found by the user's name alone (byUser) was not bought with this key either.
    if (claims[i] !== null || claims.fresh[i] !== true || (r.outcome === Outcome.Success && r.byUser !== true)) return;
    release.push(scripts.releaseClaim(buyerKeyClaim(p.user, p.idempotencyKey!), saleId));
  });
  if (release.length > 0) await Promise.all(release);
}
