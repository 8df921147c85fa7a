import type { Cluster, Redis } from 'ioredis';
import { Outcome } from '../redis/codes.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { claimBuyerKeys, releaseRefusedClaims } from './key-claims.js';
import { readReserveReply, reserveBatchArgs } from './reserve-batch.js';
import type { BatchReply, PurchaseRequest } from './types.js';

/**
 * How one checked batch reaches Redis and comes back decided. Two implementations, chosen once by the engine
 * from the client it is given: they differ only in where the buyers' key claims (ts:idemkey:...) live.
 */
export interface BatchAuthority {
  reserve(saleId: string, batchId: string, purchases: PurchaseRequest[]): Promise<BatchReply>;
}

/** Standalone Redis (or Sentinel): the script claims the buyers' keys itself, atomically, in the same round trip. */
export class StandaloneBatches implements BatchAuthority {
  constructor(private readonly scripts: ScriptCommands) {}

  async reserve(saleId: string, batchId: string, purchases: PurchaseRequest[]): Promise<BatchReply> {
    return readReserveReply(saleId, purchases, await this.scripts.reserveBatch(...reserveBatchArgs(saleId, batchId, purchases, true)));
  }
}

/**
 * Redis Cluster: the claims live in other slots than the sale, so they are taken first (one command each, one
 * round trip), the script decides the purchases whose keys are this sale's, and the claims of purchases that
 * bought nothing are let go after (src/sale/key-claims.ts).
 */
export class ClusterBatches implements BatchAuthority {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly scripts: ScriptCommands,
  ) {}

  async reserve(saleId: string, batchId: string, purchases: PurchaseRequest[]): Promise<BatchReply> {
    const run = async (sent: PurchaseRequest[]) =>
      readReserveReply(saleId, sent, await this.scripts.reserveBatch(...reserveBatchArgs(saleId, batchId, sent, false)));
    if (!purchases.some((p) => p.idempotencyKey !== undefined && p.idempotencyKey !== '')) return run(purchases);
    const elsewhere = await claimBuyerKeys(this.redis, saleId, purchases);
    const sent = purchases.filter((_, i) => elsewhere[i] === null);
    // Nothing left to decide: the counts are unknown here (NaN), and the caller leaves its quota alone.
    const reply = sent.length === 0 ? { remaining: NaN, ordersMade: NaN, results: [] } : await run(sent);
    let next = 0;
    const results = purchases.map((_, i) => {
      const otherSale = elsewhere[i];
      if (otherSale === null || otherSale === undefined) return reply.results[next++];
      return { outcome: Outcome.IdempotencyMismatch as const, otherSale, remaining: reply.remaining, ordersMade: reply.ordersMade };
    });
    await releaseRefusedClaims(this.scripts, saleId, purchases, elsewhere, results);
    return { ...reply, results };
  }
}
