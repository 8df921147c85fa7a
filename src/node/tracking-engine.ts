import { SaleEngine, type BatchReply, type PurchaseRequest } from '../redis/engine.js';

/**
 * The engine as a uWS thread uses it: the same SaleEngine, plus the global `remaining` of the latest batch
 * reply per sale. The ReservationBatcher resolves each purchase with its own result only; the reconciler's
 * thread-side clamp needs the remaining that came with it, so it is recorded here (adapting on our side
 * rather than changing the batcher's API). The batcher settles every purchase of a batch synchronously in
 * the reply's continuation, so when a purchase's promise callback runs, `lastRemaining` already holds the
 * value of its batch or of a later one — never an older one of this thread.
 */
export class TrackingEngine extends SaleEngine {
  readonly lastRemaining = new Map<string, number>();

  override async reserveBatch(saleId: string, batchId: string, purchases: PurchaseRequest[]): Promise<BatchReply> {
    const reply = await super.reserveBatch(saleId, batchId, purchases);
    this.lastRemaining.set(saleId, reply.remaining);
    return reply;
  }
}
