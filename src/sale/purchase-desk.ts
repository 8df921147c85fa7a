import type { StockCounters } from 'native-free-shm';
import { Outcome } from '../redis/codes.js';
import type { ReservationBatcher, ReserveOutcome } from './batcher.js';
import { newOrderId } from './ids.js';
import type { InFlight } from './in-flight.js';
import { clampFromReply, type QuotaPolicy } from './quota.js';
import type { SaleInfo } from './types.js';

/** The sales one uWS thread knows, and how it learns one it does not. */
export interface SaleDirectory {
  get(id: string): SaleInfo | undefined;
  /** Asks whoever keeps the registry; `error` when it could not tell (Redis away). */
  find(id: string, done: (sale: SaleInfo | null, error?: string) => void): void;
}

/** One buyer's purchase, as checked by the HTTP layer. */
export interface PurchaseAsk {
  saleId: string;
  /** '' = anonymous. */
  user: string;
  /** '' = none. */
  idempotencyKey: string;
  /** False once the buyer has gone (connection closed): then no unit is taken for them. */
  stillWanted(): boolean;
}

/** How a purchase ended, for the caller to answer. `sale` is set once the sale is known. */
export type PurchaseVerdict =
  | { kind: 'success'; sale: SaleInfo; orderId: string; expiresAt: number; replayed: boolean }
  | { kind: 'sold_out' | 'not_open' | 'limit' | 'user_required' | 'key_in_flight' | 'key_reused' | 'shutting_down'; sale: SaleInfo }
  | { kind: 'unknown_sale'; saleId: string; sale?: SaleInfo }
  | { kind: 'lookup_failed'; saleId: string; reason: string }
  /** Redis did not confirm in time: the purchase may or may not be recorded under `orderId`. */
  | { kind: 'undecided'; sale: SaleInfo; orderId: string; reason: string }
  | { kind: 'unexpected'; sale: SaleInfo; orderId: string; outcome: string }
  /** The buyer left before anything was taken: nobody to answer. */
  | { kind: 'abandoned'; sale: SaleInfo };

export interface PurchaseDeskParts {
  stock: StockCounters;
  inFlight: InFlight;
  /** This thread's partition of the stock buffer. */
  partition: number;
  batcher: Pick<ReservationBatcher, 'reserve'>;
  directory: SaleDirectory;
  policy: QuotaPolicy;
  /** Tag in this thread's order ids, e.g. "t0". */
  idTag: string;
  /** True while the node drains for shutdown: new purchases are sent to another node. */
  draining(): boolean;
}

/**
 * The hot path between a checked request and its answer, for one uWS thread:
 *
 *  1. find the sale (known: synchronously; unknown: ask the main thread once)
 *  2. closed by its window, or known sold out -> decided from shared memory, no Redis
 *  3. one CAS take of the node's quota (partition = this thread): no lock, no message
 *  4. batcher.reserve -> one EVALSHA per batch decides it; the reply carries the sale's global remaining
 *  5. settle the unit: a new success keeps it, anything else gives it back; lower the quota to the reply
 */
export class PurchaseDesk {
  /** Idempotency keys (scoped to their sale) with a purchase in flight on this thread: a second one is 409. */
  private readonly keysInFlight = new Set<string>();

  constructor(private readonly parts: PurchaseDeskParts) {}

  buy(ask: PurchaseAsk, done: (verdict: PurchaseVerdict) => void): void {
    const known = this.parts.directory.get(ask.saleId);
    if (known !== undefined) return this.decide(known, ask, done);
    this.parts.directory.find(ask.saleId, (sale, error) => {
      if (error !== undefined) return done({ kind: 'lookup_failed', saleId: ask.saleId, reason: error });
      if (sale === null) return done({ kind: 'unknown_sale', saleId: ask.saleId });
      this.decide(sale, ask, done);
    });
  }

  private decide(sale: SaleInfo, ask: PurchaseAsk, done: (verdict: PurchaseVerdict) => void): void {
    const { stock, partition } = this.parts;
    const slot = sale.slot;
    if (!ask.stillWanted()) return done({ kind: 'abandoned', sale });
    if (this.parts.draining()) return done({ kind: 'shutting_down', sale });
    if (ask.user === '' && !sale.anonymous) return done({ kind: 'user_required', sale });
    // Both flags are written by other threads with Atomics.store and read here with Atomics.load (seq-cst):
    // a thread that reads a stale value for a request or two only sends it to Redis, which decides with its
    // own clock and counters. The open flag follows the sale's window within the main thread's timer
    // accuracy (node/main/open-flags.ts); sold out follows the authority's remaining.
    if (!stock.isOpen(slot)) return done({ kind: 'not_open', sale });
    if (stock.isSoldOut(slot)) return done({ kind: 'sold_out', sale });
    const scopedKey = ask.idempotencyKey === '' ? '' : `${sale.id}\n${ask.idempotencyKey}`;
    if (scopedKey !== '' && this.keysInFlight.has(scopedKey)) return done({ kind: 'key_in_flight', sale });
    // One CAS on the shared buffer. false = this node's quota is used up right now.
    if (!stock.take(slot, partition)) return done({ kind: 'sold_out', sale });
    this.parts.inFlight.add(slot);
    if (scopedKey !== '') this.keysInFlight.add(scopedKey);
    const orderId = newOrderId(sale.id, this.parts.idTag);
    const request = ask.idempotencyKey === '' ? { orderId, user: ask.user } : { orderId, user: ask.user, idempotencyKey: ask.idempotencyKey };
    this.parts.batcher.reserve(sale.id, request).then(
      (outcome) => done(this.settle(sale, orderId, scopedKey, outcome)),
      (err: unknown) => done(this.settle(sale, orderId, scopedKey, { outcome: 'unknown', orderId, reason: (err as Error).message })),
    );
  }

  /** Unit bookkeeping once Redis has decided (or the deadline passed). */
  private settle(sale: SaleInfo, orderId: string, scopedKey: string, outcome: ReserveOutcome): PurchaseVerdict {
    const { stock, partition, inFlight } = this.parts;
    const slot = sale.slot;
    if (scopedKey !== '') this.keysInFlight.delete(scopedKey);
    if (outcome.outcome === 'unknown') {
      // Not a failure for sure: the script may have run. Give the unit back (Redis stays the authority, an
      // extra local unit only costs a doomed call) and tell the buyer where to look.
      stock.give(slot, partition);
      inFlight.done(slot);
      return { kind: 'undecided', sale, orderId, reason: outcome.reason };
    }
    const keep = outcome.outcome === Outcome.Success && outcome.replayed !== true;
    if (!keep) stock.give(slot, partition);
    inFlight.done(slot);
    if (outcome.outcome === Outcome.SoldOut) stock.setSoldOut(slot, true);
    clampFromReply(stock, slot, outcome.remaining, this.parts.policy);
    const code: Outcome = outcome.outcome;
    switch (code) {
      case Outcome.Success:
        return { kind: 'success', sale, orderId: outcome.orderId!, expiresAt: outcome.expiresAt!, replayed: outcome.replayed === true };
      case Outcome.SoldOut:
        return { kind: 'sold_out', sale };
      case Outcome.LimitReached:
        return { kind: 'limit', sale };
      case Outcome.NotOpen:
        return { kind: 'not_open', sale };
      case Outcome.IdempotencyMismatch:
        return { kind: 'key_reused', sale };
      case Outcome.AnonymousNotAllowed:
        return { kind: 'user_required', sale };
      case Outcome.UnknownSale:
        return { kind: 'unknown_sale', saleId: sale.id, sale };
      default:
        // A code this version does not know (a newer script): answered as Redis trouble, never as a sale.
        return { kind: 'unexpected', sale, orderId, outcome: String(code) };
    }
  }
}
