import type { StockCounters } from 'native-free-shm';
import { Outcome } from '../redis/codes.js';
import type { ReservationBatcher, ReserveOutcome } from './batcher.js';
import type { BuyerLimit } from './buyer-buckets.js';
import { newOrderId } from './ids.js';
import type { SlotMemory } from './slot-memory.js';
import { resolveTrip, type SeatItem, type Trip, type TripAsk } from './trip.js';
import type { Inventory } from './inventory.js';
import type { PurchaseRequest, SaleInfo } from './types.js';
import type { QueuePass } from '../auth/queue-tokens.js';
import type { PassRefusal } from './queue-desk.js';

/** The sales one uWS thread knows, and how it learns one it does not. */
export interface SaleDirectory {
  get(id: string): SaleInfo | undefined;
  /** Asks whoever keeps the registry; `error` when it could not tell (Redis away). */
  find(id: string, done: (sale: SaleInfo | null, error?: string) => void): void;
}

/** Who may hold something in a sold-out sale, as far as this thread knows. */
export interface HolderIndex {
  /**
   * False only when the buyer surely holds nothing in the sale: no live order of `user`, no record of
   * `scopedKey` ("<user> <key>", '' = none) — and the index is current. True otherwise, then Redis decides.
   */
  mayHold(sale: SaleInfo, user: string, scopedKey: string): boolean;
}

/** One buyer's purchase, as checked by the HTTP layer. */
export interface PurchaseAsk {
  saleId: string;
  /** '' = anonymous. */
  user: string;
  /** The buyer's own Idempotency-Key; '' = none. */
  idempotencyKey: string;
  /** A proxy's key for this one request (nginx's X-Request-Key); used when the buyer sent no key. '' = none. */
  requestKey: string;
  /**
   * True when `user` is proven (buyer authentication: the token's sub). Only then does a buyer who names the user
   * of an order, without that order's key, get the order back; otherwise they only hear "limit reached" — in the
   * demo anyone can type any name, and an order id is all it takes to cancel the order.
   */
  buyerProven: boolean;
  /**
   * The buyer's connection: `open` is false once they have gone, and then no unit is taken for them. The HTTP
   * layer passes its Reply itself (an object it has anyway, not a closure per purchase).
   */
  client: { readonly open: boolean };
  /** A train purchase: the stations, class, seat kind and passengers the buyer asked for (resolved against the sale here). */
  trip?: TripAsk;
  /** The Queue-Pass header ('' = none): a sale whose waiting room is on takes only purchases with their buyer's pass. */
  queuePass: string;
  /** Set by the desk when the pass was accepted (counted when it buys). */
  admitted?: QueuePass;
}

/** The waiting rooms' pass check (src/sale/queue-desk.ts): null = the sale takes purchases without a pass now. */
export interface PassGate {
  admit(sale: SaleInfo, user: string, passText: string): { pass: QueuePass } | { refused: PassRefusal } | null;
  bought(sale: SaleInfo, pass: QueuePass): void;
}

/**
 * How a purchase ended, for the caller to answer, discriminated by `kind`: the one list of verdict kinds. Each
 * variant carries what its answer needs (a success its order); `sale` is set once the sale is known. Whatever
 * handles verdicts is keyed by VerdictKind — the route's answer (src/http/routes/buy.ts) and the metrics and
 * stat-log table (src/node/thread/ports.ts) — so a new kind does not compile until each of them handles it.
 */
export type PurchaseVerdict =
  /** A new hold, or a replay of this buyer's live order (held or paid) or of an order retired from Redis (archived: final, in PostgreSQL). */
  | { kind: 'success'; sale: SaleInfo; orderId: string; expiresAt: number; replayed: boolean; status: 'held' | 'paid' | 'archived'; seats?: SeatItem }
  /** A replay of this buyer's order that is over: it was cancelled or its hold expired. */
  | { kind: 'replayed_final'; sale: SaleInfo; orderId: string; status: 'cancelled' | 'expired' }
  | { kind: 'not_open' | 'user_required' | 'key_in_flight' | 'shutting_down'; sale: SaleInfo }
  /** Nothing left — for a train purchase (`trip`), no seat of its class free on every segment of its trip. */
  | { kind: 'sold_out'; sale: SaleInfo; trip?: TripAsk }
  /** A trip this sale cannot take (a station not on the route, a class it has not; a trip for a counter sale): `problem` says what to send. */
  | { kind: 'bad_trip'; sale: SaleInfo; problem: string }
  /** The sale's waiting room is on and the purchase carries no valid pass of this buyer: join the line. */
  | { kind: 'no_pass'; sale: SaleInfo; reason: PassRefusal }
  /** The per-user limit; `holdsOne`: the buyer named holds an order here, which is not shown (buyerProven false). */
  | { kind: 'limit'; sale: SaleInfo; holdsOne?: boolean }
  /** The buyer's key already names a purchase: in `otherSale`, or (undefined) under another buyer. */
  | { kind: 'key_reused'; sale: SaleInfo; otherSale?: string }
  | { kind: 'unknown_sale'; saleId: string; sale?: SaleInfo }
  | { kind: 'lookup_failed'; saleId: string; reason: string }
  /** Redis did not confirm in time: the purchase may or may not be recorded under `orderId`. */
  | { kind: 'undecided'; sale: SaleInfo; orderId: string; reason: string }
  | { kind: 'unexpected'; sale: SaleInfo; orderId: string; outcome: string }
  /** The buyer's bucket is empty (src/sale/buyer-buckets.ts): nothing was looked up, taken or sent. */
  | { kind: 'rate_limited'; waitUs: number }
  /** The buyer left before anything was taken: nobody to answer. */
  | { kind: 'abandoned'; sale: SaleInfo };

export type VerdictKind = PurchaseVerdict['kind'];

export interface PurchaseDeskParts {
  /** The open flags (the sale's window and pause), in the stock buffer. */
  stock: StockCounters;
  /** Orders seen per slot (src/sale/slot-memory.ts). */
  slots: SlotMemory;
  /** What each sale has left, as this node knows it (src/sale/inventory.ts); `partition` is this thread's part. */
  inventory: Inventory;
  /** This thread's index: its partition of the stock buffer and its in-flight line. */
  partition: number;
  batcher: Pick<ReservationBatcher, 'reserveTo'>;
  directory: SaleDirectory;
  holders: HolderIndex;
  /** Per-buyer rate limit, shared by the node's threads; anonymous purchases are not asked (nginx limits them per address). */
  buyers: BuyerLimit;
  /** True while the node drains for shutdown: new purchases are sent to another node. */
  draining(): boolean;
  /** A batch reply turned the sale sold out on this node (the main thread then reads who holds what). */
  onSoldOut(sale: SaleInfo): void;
  passes: PassGate;
}

function soldOut(sale: SaleInfo, ask: PurchaseAsk): PurchaseVerdict {
  return ask.trip === undefined ? { kind: 'sold_out', sale } : { kind: 'sold_out', sale, trip: ask.trip };
}

/** A counter sale's purchase without a trip: nothing to resolve (the hot path allocates nothing for it). */
const NO_TRIP: { trip?: Trip; problem?: string } = Object.freeze({});

/** The buyer's key in its scope: "<user> <key>" (lua/reserve-batch-12.lua keeps records under the same field). */
export function scopedKeyOf(user: string, key: string): string {
  return key === '' ? '' : `${user} ${key}`;
}

/**
 * The hot path between a checked request and its verdict, for one uWS thread:
 *
 *  1. find the sale (known: synchronously; unknown: the buyer's token first, then ask the main thread once)
 *  2. closed by its window -> "not open"; sold out per the authority and the buyer holds nothing -> "sold out";
 *     both from shared memory, no Redis, no token (they cost less than taking one)
 *  2b. a named buyer takes a token from their bucket (shared memory, one CAS); an empty bucket is 429
 *  3. one CAS take of the node's quota (partition = this thread). An empty quota is no verdict: the stock may
 *     be left on other nodes, so the purchase goes to Redis without a unit (local stock is a throttle)
 *  4. batcher.reserveTo -> one EVALSHA per batch decides it; the reply carries the sale's global remaining
 *  5. settle: a new success keeps its unit, anything else gives it back; lower the quota to the reply
 */
export class PurchaseDesk {
  /** Scoped idempotency keys with a purchase in flight on this thread: a second one is 409. */
  private readonly keysInFlight = new Set<string>();

  constructor(private readonly parts: PurchaseDeskParts) {}

  buy(ask: PurchaseAsk, done: (verdict: PurchaseVerdict) => void): void {
    const known = this.parts.directory.get(ask.saleId);
    if (known !== undefined) return this.decide(known, ask, done, false);
    // An unknown sale costs a question to the main thread (and it may ask Redis): the buyer's token first.
    if (this.rateLimited(ask, done)) return;
    this.parts.directory.find(ask.saleId, (sale, error) => {
      if (error !== undefined) return done({ kind: 'lookup_failed', saleId: ask.saleId, reason: error });
      if (sale === null) return done({ kind: 'unknown_sale', saleId: ask.saleId });
      // A finished sale has no slot (slot < 0): closed, answered without shared memory or Redis.
      if (sale.slot < 0) return done({ kind: 'not_open', sale });
      this.decide(sale, ask, done, true);
    });
  }

  /**
   * The buyer's token (src/sale/buyer-buckets.ts), taken before anything that costs: a lookup, a unit, a Redis
   * call. A replay (same Idempotency-Key) counts like any purchase — it costs the same Redis call; refused here
   * nothing is recorded, so the same key retried after Retry-After still gets its order back. Answers from
   * shared memory alone (not open, sold out) cost less than the token would and take none.
   */
  private rateLimited(ask: PurchaseAsk, done: (verdict: PurchaseVerdict) => void): boolean {
    if (ask.user === '') return false;
    const waitUs = this.parts.buyers.take(ask.user);
    if (waitUs <= 0) return false;
    done({ kind: 'rate_limited', waitUs });
    return true;
  }

  private decide(sale: SaleInfo, ask: PurchaseAsk, done: (verdict: PurchaseVerdict) => void, tokenTaken: boolean): void {
    const { stock, inventory, partition } = this.parts;
    const slot = sale.slot;
    if (!ask.client.open) return done({ kind: 'abandoned', sale });
    if (this.parts.draining()) return done({ kind: 'shutting_down', sale });
    if (ask.user === '' && !sale.anonymous) return done({ kind: 'user_required', sale });
    // Both flags are written by other threads with Atomics.store and read here with Atomics.load (seq-cst):
    // a thread that reads a stale value for a request or two only sends it to Redis, which decides with its
    // own clock and counters. The open flag follows the sale's window within the main thread's timer
    // accuracy (node/main/open-flags.ts); sold out is set only from the authority's remaining == 0.
    if (!stock.isOpen(slot)) return done({ kind: 'not_open', sale });
    const { trip, problem } = sale.train === null && ask.trip === undefined ? NO_TRIP : resolveTrip(sale.train, ask.trip);
    if (problem !== undefined) return done({ kind: 'bad_trip', sale, problem });
    if (sale.queue !== null && this.passGate(sale, ask, done)) return;
    const scopedKey = scopedKeyOf(ask.user, ask.idempotencyKey || ask.requestKey);
    if (inventory.soldOut(sale, trip) && !this.mayHold(sale, ask, trip, scopedKey)) return done(soldOut(sale, ask));
    if (!tokenTaken && this.rateLimited(ask, done)) return;
    const flightKey = scopedKey === '' ? '' : `${sale.id}\n${scopedKey}`;
    if (flightKey !== '' && this.keysInFlight.has(flightKey)) return done({ kind: 'key_in_flight', sale });
    // Counter sale: one CAS on the shared buffer. false = this node's quota is used up right now: no unit, but no verdict.
    const unit = inventory.take(sale, partition);
    if (flightKey !== '') this.keysInFlight.add(flightKey);
    const orderId = newOrderId(sale.id, sale.idKey);
    const request: PurchaseRequest = { orderId, user: ask.user };
    if (ask.idempotencyKey !== '') request.idempotencyKey = ask.idempotencyKey;
    else if (ask.requestKey !== '') request.requestKey = ask.requestKey;
    if (trip !== undefined) request.trip = trip;
    try {
      this.parts.batcher.reserveTo(sale.id, request, (outcome) => done(this.settle(sale, orderId, flightKey, unit, outcome, ask)));
    } catch (err) {
      // A malformed purchase (the batcher's own check): nothing was queued.
      done(this.settle(sale, orderId, flightKey, unit, { outcome: 'unknown', orderId, reason: (err as Error).message }, ask));
    }
  }

  /**
   * A sale with a waiting room: the buyer's pass, checked from memory. Accepted, it becomes the purchase's key, so a
   * second purchase with it replays the first order (one pass, one order); true when refused (answered).
   */
  private passGate(sale: SaleInfo, ask: PurchaseAsk, done: (verdict: PurchaseVerdict) => void): boolean {
    const gate = this.parts.passes.admit(sale, ask.user, ask.queuePass);
    if (gate === null) return false;
    if ('refused' in gate) {
      done({ kind: 'no_pass', sale, reason: gate.refused });
      return true;
    }
    ask.idempotencyKey = '';
    ask.requestKey = `queue-pass.${gate.pass.place}`;
    ask.admitted = gate.pass;
    return false;
  }

  /**
   * Whether a buyer told "sold out" from memory might hold something that Redis would give back instead. A counter
   * sale: the holder filter (current once the sale stopped selling). A train keeps selling other parts of the
   * route, so its filter is always a reconcile behind: only a buyer who sends their own Idempotency-Key — a retry
   * that must learn its purchase — is checked against it (and goes to Redis while it is behind); any other buyer of
   * a sold-out part of the route is answered from memory, and one who holds a seat already hears "sold out" for
   * the new trip rather than their order (which they were answered with when they bought it).
   */
  private mayHold(sale: SaleInfo, ask: PurchaseAsk, trip: Trip | undefined, scopedKey: string): boolean {
    if (trip !== undefined && ask.idempotencyKey === '') return false;
    return this.parts.holders.mayHold(sale, ask.user, scopedKey);
  }

  /** Unit bookkeeping once Redis has decided (or the deadline passed). */
  private settle(sale: SaleInfo, orderId: string, flightKey: string, unit: boolean, outcome: ReserveOutcome, ask: PurchaseAsk): PurchaseVerdict {
    const { inventory, partition, slots } = this.parts;
    const slot = sale.slot;
    if (flightKey !== '') this.keysInFlight.delete(flightKey);
    inventory.settle(sale, partition, unit, outcome.outcome === Outcome.Success && outcome.replayed !== true);
    if (outcome.outcome === 'unknown') return { kind: 'undecided', sale, orderId, reason: outcome.reason };
    // NaN counts: the batch never reached the script (every key in it belonged to another sale).
    if (Number.isFinite(outcome.remaining)) {
      // The count first, the flag after: a thread that sees sold out also sees the orders that made it so.
      slots.raiseOrdersSeen(slot, outcome.ordersMade);
      if (inventory.applyReply(sale, outcome)) this.parts.onSoldOut(sale);
    }
    switch (outcome.outcome) {
      case Outcome.Success: {
        // Found by the name alone, which proves nothing without buyer authentication: no order id for it.
        if (outcome.byUser === true && !ask.buyerProven) return { kind: 'limit', sale, holdsOne: true };
        const status = outcome.status;
        if (status === 'cancelled' || status === 'expired') return { kind: 'replayed_final', sale, orderId: outcome.orderId, status };
        const verdict: PurchaseVerdict = { kind: 'success', sale, orderId: outcome.orderId, expiresAt: outcome.expiresAt, replayed: outcome.replayed, status };
        if (ask.admitted !== undefined && !outcome.replayed) this.parts.passes.bought(sale, ask.admitted);
        if (outcome.seats !== undefined) verdict.seats = outcome.seats;
        return verdict;
      }
      case Outcome.SoldOut:
        return soldOut(sale, ask);
      case Outcome.LimitReached:
        return { kind: 'limit', sale };
      case Outcome.NotOpen:
        return { kind: 'not_open', sale };
      case Outcome.IdempotencyMismatch:
        return outcome.otherSale === undefined ? { kind: 'key_reused', sale } : { kind: 'key_reused', sale, otherSale: outcome.otherSale };
      case Outcome.AnonymousNotAllowed:
        return { kind: 'user_required', sale };
      case Outcome.UnknownSale:
        return { kind: 'unknown_sale', saleId: sale.id, sale };
      case 'unrecognized':
        // A code this version does not know (a newer script): answered as Redis trouble, never as a sale.
        return { kind: 'unexpected', sale, orderId, outcome: String(outcome.code) };
    }
  }
}
