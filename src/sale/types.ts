import type { Outcome } from '../redis/codes.js';
import type { SaleState } from './schedule.js';
import type { SeatItem, SeatView, TrainView, Trip } from './trip.js';
import type { TrainConfig } from '../rules/train-config.js';
import type { QueueConfig } from '../rules/queue-config.js';

export type { SaleConfig } from '../rules/sale-config.js';

/** One purchase as the engine takes it. */
export interface PurchaseRequest {
  /** Made by the caller with newOrderId(saleId): "<saleId>.<unique>". */
  orderId: string;
  /** '' = anonymous (only if the sale allows it). */
  user: string;
  /**
   * The buyer's own Idempotency-Key: it names one purchase of this buyer in any sale, so the engine claims it
   * across sales before the script runs (the same key in another sale is refused).
   */
  idempotencyKey?: string;
  /** A proxy's key for one request (nginx's $request_id): a re-sent request replays within this sale. Used only
   *  when there is no idempotencyKey. */
  requestKey?: string;
  /** A train sale: what the purchase asks for (every purchase of a train sale has one; a counter sale's none). */
  trip?: Trip;
}

/**
 * Redis's decision on one purchase, discriminated by `outcome`. A success carries its order (no optional fields
 * to assert on); the cross-sale key refusal may name the other sale; the other refusals carry nothing; a code
 * this version does not know is `unrecognized`, never taken for one it does.
 */
export type PurchaseResult = PurchaseSuccess | PurchaseKeyElsewhere | PurchaseRefused | PurchaseUnrecognized;

export interface PurchaseSuccess {
  outcome: Outcome.Success;
  /** On a replay this is the STORED order's id, which may differ from the requested one. */
  orderId: string;
  /** Hold deadline, ms (Redis clock). */
  expiresAt: number;
  /** True when an earlier order was returned instead of a new one. */
  replayed: boolean;
  /**
   * The order's state now ('held' for a new one; a replay may find it paid, cancelled or expired — also once
   * retired from Redis to PostgreSQL, its final state kept in its idempotency record — or 'archived': retired
   * before records kept the state, GET /orders/{id} tells which).
   */
  status: ReplayStatus;
  /**
   * Replays only: the order was found by the user alone (the same user at limit 1), not by the buyer's key. A
   * name is no secret, so the caller shows such an order only to a buyer whose name is proven.
   */
  byUser?: boolean;
  /** A train order: its seats (a replay of an order whose seats left Redis has none). */
  seats?: SeatItem;
}

export interface PurchaseKeyElsewhere {
  outcome: Outcome.IdempotencyMismatch;
  /** From the cross-sale claim: the sale this buyer's key already names a purchase in (undefined: another buyer's key). */
  otherSale?: string;
}

export interface PurchaseRefused {
  outcome: Exclude<Outcome, Outcome.Success | Outcome.IdempotencyMismatch>;
}

/** A per-purchase code that is no Outcome (a newer script's): the caller answers it as Redis trouble, never as a sale. */
export interface PurchaseUnrecognized {
  outcome: 'unrecognized';
  code: number;
}

/** One purchase's result with its batch's counts: total - held - paid and ordersMade right after the batch. */
export type BatchResult = PurchaseResult & {
  remaining: number;
  ordersMade: number;
  /** A train batch that changed the seat book: the book as it left it (the same object for every result of the batch). */
  board?: SeatBoardUpdate;
};

export interface BatchReply {
  /** total - held - paid after the batch. */
  remaining: number;
  /** Orders the sale has ever made, after the batch: grows with every new hold, never shrinks. */
  ordersMade: number;
  results: BatchResult[];
  /** A train batch that changed the seat book: what a node mirrors of it (src/sale/seat-board.ts). */
  board?: SeatBoardUpdate;
}

/** The seat book's version (grows with every change) and, per class, the F table summed over seat kinds. */
export interface SeatBoardUpdate {
  version: number;
  classes: Record<string, number[]>;
}

export type OrderStatus = 'held' | 'paid' | 'cancelled' | 'expired';
/** A replayed order's state: an order status, or 'archived' when its record has left Redis (retired). */
export type ReplayStatus = OrderStatus | 'archived';

export interface OrderView {
  /** A train order's seats as Redis keeps them: indexes into the sale's catalogue (internal; never answered). */
  item?: SeatItem;
  /** A train order's seats as a buyer and a ticket see them (the node names `item` with the sale's catalogue). */
  seats?: SeatView[];
  /** A train order: the day its train runs, when the sale says. */
  date?: string;
  id: string;
  sale: string;
  user: string;
  status: OrderStatus;
  expiresAt: number;
  createdAt?: number;
  paidAt?: number;
}

/** An order as pay answers it: `replayed` when the same signed callback had paid it before. */
export interface PaidOrder extends OrderView {
  replayed: boolean;
}

/** A ticket's one check-in: when (ms, Redis clock) and at which gate. */
export interface CheckIn {
  checkedInAt: number;
  gate: string;
}
/**
 * What Redis says of an order id, in one call (lua/get-order-3.lua): the order, or that it is absent — with,
 * when the sale exists in Redis, its order-id key (null: legacy) and how many of its orders ever left Redis
 * (retired: final and in PostgreSQL). `sale` null: Redis has no such sale.
 */
export type OrderFound =
  | { kind: 'live'; order: OrderView }
  | { kind: 'absent'; sale: { idKey: string | null; retired: number } | null };

export interface SaleStatus {
  id: string;
  total: number;
  held: number;
  paid: number;
  remaining: number;
  /** Open now (Redis clock): inside its time window and not paused (state 'open'); a sold-out sale is still "open". */
  open: boolean;
  /** An operator paused it (lua/pause-sale-1.lua): purchases are answered -3 until it is resumed. */
  paused: boolean;
  /** scheduled | open | paused | closed, by Redis's clock (src/sale/schedule.ts saleState). */
  state: SaleState;
  perUserLimit: number;
  holdSeconds: number;
  anonymous: boolean;
  /** ms since the epoch; 0 = none. */
  opensAt: number;
  closesAt: number;
  createdAt: number;
  /** Orders the sale has ever made (held, paid, cancelled or expired since). */
  ordersMade: number;
  /** Orders whose records retention removed from Redis (final and in PostgreSQL), by final status. `paid` above counts retired paid orders too. */
  retired: { paid: number; cancelled: number; expired: number };
  /** Tickets a gate admitted (POST /tickets/check-in, lua/check-in-4.lua). */
  checkedIn: number;
  /** 'train': seats sold per segment of the route (total, held, paid and remaining count seat-segments). */
  kind: 'counter' | 'train';
  /** A train sale's route and coaches. */
  train?: TrainConfig;
  /** The sale's waiting room (src/rules/queue-config.ts), as the operator last set it. */
  queue?: QueueConfig;
}

/**
 * A sale's status with its order-id key (meta `idKey`, 32 hex characters; null for a legacy sale made before
 * order ids carried a tag): what the node's registry and the order worker read. Kept apart from SaleStatus,
 * which the HTTP API and the CLI show whole: the key lets whoever holds it make order ids that pass the tag check.
 */
export interface KeyedSaleStatus {
  status: SaleStatus;
  idKey: string | null;
  /** A train sale's seat book as a node mirrors it (every class). */
  board?: SeatBoardUpdate;
}

/** A sale's status in the terms a node keeps: "no opening / closing time" is null. */
export type SaleFacts = Omit<SaleStatus, 'opensAt' | 'closesAt' | 'createdAt' | 'retired'> & {
  opensAt: number | null;
  closesAt: number | null;
  /** The sale's order-id key, null for a legacy sale (KeyedSaleStatus). */
  idKey: string | null;
  /** A train sale's seat book (KeyedSaleStatus). */
  board?: SeatBoardUpdate;
};

/** What every uWS thread knows about a sale (the main thread broadcasts it; the stock lives in shared memory). */
export interface SaleInfo {
  id: string;
  /** The sale's slot in the node's stock buffer. */
  slot: number;
  total: number;
  anonymous: boolean;
  perUserLimit: number;
  holdSeconds: number;
  /** ms since the epoch, or null */
  opensAt: number | null;
  closesAt: number | null;
  /** The key of the tag in the sale's order ids (src/sale/ids.ts newOrderId); null for a legacy sale: no tag. */
  idKey: string | null;
  /** A train sale: its route, classes, seat catalogue and the node's shared seat board; null for a counter sale. */
  train: TrainInfo | null;
  /** A sale with a waiting room: the node's mirror of its line (src/sale/queue-board.ts); null without one. */
  queue: SharedArrayBuffer | null;
}

/** What a node's threads know of a train sale (src/sale/train-catalogue.ts) and its seat board (src/sale/seat-board.ts). */
export type TrainInfo = TrainView & { board: SharedArrayBuffer };

export interface AuditReport {
  /** No problem found and the accounting closes (see `closes`). */
  ok: boolean;
  sale: string;
  total: number;
  /** The sale's counters (what the sale sells from). */
  held: number;
  paid: number;
  /** total - held - paid: what the counters leave to sell. */
  remaining: number;
  /** Counted from the order records themselves, independently of the counters. */
  countedHeld: number;
  countedPaid: number;
  cancelled: number;
  expired: number;
  /** Orders retired from Redis (final, in PostgreSQL); countedPaid, cancelled and expired include theirs. */
  retired: number;
  orders: number;
  /**
   * remaining (from the counters) + countedHeld + countedPaid (from the orders) == total, remaining >= 0:
   * the counters and the orders tell the same story and nothing is sold beyond the total.
   */
  closes: boolean;
  streamEntries: number;
  streamOrders: number;
  holders: number;
  /** Problems found (at least; a page's problems past its list are counted, not deduplicated). */
  problemCount: number;
  problems: string[];
  /**
   * The sale changed while it was audited (held, paid or ordersMade differ between the first and the last
   * read of its counters): countedHeld/countedPaid were counted while orders moved, and are compared with the
   * counters within the bounds the changes allow instead of exactly (see `notes`). Audit a quiet sale for an
   * exact count.
   */
  moving: boolean;
  /** What the audit could not check exactly, and why; never a problem. */
  notes: string[];
  /** Script calls the audit made (each one a short, bounded page). */
  calls: number;
}

/** Options of SaleEngine.audit. */
export interface AuditOptions {
  /** Orders (or records) looked at per script call, 1..10000 (default 500): a few ms of Redis each. */
  pageSize?: number;
  /** Problems listed in the report, 1..1000 (default 100); more are counted. */
  maxProblems?: number;
  /** Called after every page: the pass and how far it got (`of` is an estimate taken when the pass began). */
  onProgress?: (progress: AuditProgress) => void;
}

export interface AuditProgress {
  pass: 'stream' | 'orders' | 'holders' | 'idempotency' | 'deadlines';
  done: number;
  of: number;
}

/**
 * One page of who may hold something in a sale (lua/holder-log-4.lua): users who made a hold and the fields
 * "<user> <key>" of their idempotency records, from the reader's cursor on.
 */
export interface HolderLogPage {
  /** The sale's ordersMade when the page was read. */
  ordersMade: number;
  /** The cursor after this page; -1: the cursor was past the log's end (not the log it was reading): start over. */
  next: number;
  /** The log's length when the page was read: next === length means the reader has every entry up to ordersMade. */
  length: number;
  entries: string[];
}

export interface ExpireReply {
  expired: number;
  remaining: number;
  /** More holds are already due: call again. */
  more: boolean;
}
