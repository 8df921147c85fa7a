import type { PurchaseAsk, PurchaseVerdict } from '../sale/purchase-desk.js';
import type { AvailabilityAnswer } from '../sale/availability.js';
import type { CoachMap } from '../sale/seat-map.js';
import type { JoinAnswer, QueueStatus } from '../sale/queue-desk.js';
import type { QueueConfig } from '../rules/queue-config.js';
import type { Changed, Closed, Restocked, SalePage } from '../sale/operations.js';
import type { CheckIn, OrderView, PaidOrder, SaleConfig, SaleStatus } from '../sale/types.js';
import type { Ticket } from '../tickets/format.js';
import type { TicketPublicKey } from '../tickets/keys.js';
import type { VerifyOutcome } from '../tickets/signer.js';

/**
 * What each group of routes needs from the thread that mounts it, and nothing more. The node's thread wiring
 * (src/node/thread) implements these; routes never see Redis connections, shared buffers or messages to the
 * main thread, so they can be read — and tested — as "request in, answer out".
 */

/** Who the buyer is when buyer authentication is on. */
export interface BuyerAuthPort {
  /** False in the demo: the buyer is the `user` the request names, and an order id is its own capability. */
  readonly required: boolean;
  /** The buyer of an Authorization header (a token's sub); rejects with a 401 Rejection. */
  buyerOf(authorization: string): Promise<string>;
}

/** /buy/ticket */
export interface PurchasePort {
  /** The sale of a purchase that names none. */
  readonly defaultSale: string;
  readonly maxBodyBytes: number;
  readonly auth: BuyerAuthPort;
  /** The desk's verdict comes to `done`, which answers it and hands it to `counted`. */
  buy(ask: PurchaseAsk, done: (verdict: PurchaseVerdict) => void): void;
  /** Counts a verdict (metrics, the stat log): the route calls it once per verdict, beside its answer. */
  counted(verdict: PurchaseVerdict): void;
  /** A purchase refused for its input before it reached the desk (counted; never logged per request). */
  refused(): void;
}

/** /orders/{id}, /orders/{id}/pay, /orders/{id}/cancel */
export interface OrderPort {
  readonly auth: BuyerAuthPort;
  /** With buyer authentication on, pay takes this token (or a payment signature). */
  readonly adminToken: string | null;
  /** The payment system's callback secret; null = no signed callbacks. */
  readonly paymentSecret: string | null;
  readonly maxBodyBytes: number;
  getOrder(orderId: string): Promise<OrderView | null>;
  /**
   * Pays (idempotent: a paid order comes back as it is). `signature` is the signed callback's HMAC (hex), recorded
   * by the same script only when it pays (`replayed`: this callback paid it before); null for the admin and the demo.
   */
  pay(orderId: string, signature: string | null): Promise<PaidOrder>;
  cancel(orderId: string): Promise<OrderView>;
  /** The signed e-ticket of a paid order, or undefined when it could not be signed (the order stands). */
  signTicket(order: OrderView): Promise<unknown>;
}

/** /tickets/{orderId}, /tickets/verify, /tickets/check-in, /.well-known/ticket-keys */
export interface TicketPort {
  readonly auth: BuyerAuthPort;
  readonly maxBodyBytes: number;
  /** Gates check tickets in with this token (or the admin token); null = no gate token configured. */
  readonly gateToken: string | null;
  readonly adminToken: string | null;
  /** Records the one check-in of a paid order (`seen`: as getOrder read it); throws ALREADY_CHECKED_IN after the first. */
  checkIn(seen: OrderView, gate: string): Promise<CheckIn>;
  /** The order as GET /orders/{id} reads it (the same port), null when unknown. */
  getOrder(orderId: string): Promise<OrderView | null>;
  /** The order's ticket, signed with the current key in the pool; rejects when the pool cannot take it. */
  sign(order: OrderView): Promise<Ticket>;
  /** A well-formed ticket's signature, checked in the pool with the key its kid names. */
  verify(ticket: Ticket): Promise<VerifyOutcome>;
  /** Every key that verifies. */
  publicKeys(): TicketPublicKey[];
}

/** /sales/{id} */
export interface SalePort {
  status(saleId: string): Promise<SaleStatus | null>;
  /**
   * A train sale's seats left per class, from the node's shared memory (src/sale/availability.ts); null for an
   * unknown sale, 'counter' for a sale that sells no seats. Rejects when the sale could not be looked up.
   */
  availability(saleId: string, from: string | undefined, to: string | undefined): Promise<AvailabilityAnswer | 'counter' | null>;
  /** Units this node may still take for the sale without asking Redis; null when it does not know the sale. */
  localQuota(saleId: string): number | null;
}

/** /admin/sales, /admin/sales/{id}/pause|resume|close|stock */
export interface AdminPort {
  /** null = admin disabled on this node. */
  readonly adminToken: string | null;
  readonly maxBodyBytes: number;
  createSale(config: SaleConfig): Promise<'created' | 'exists'>;
  /** Tells the node about a sale it just created, so every thread knows it before its first buyer. */
  announceSale(saleId: string): void;
  /** A page of every sale with its counters (src/sale/operations.ts). */
  listSales(after: string, limit: number): Promise<SalePage>;
  status(saleId: string): Promise<SaleStatus | null>;
  setPaused(saleId: string, paused: boolean): Promise<Changed>;
  close(saleId: string): Promise<Closed>;
  addStock(saleId: string, add: number): Promise<Restocked>;
  /** The waiting room's on/off and rate (a sale without one gets one that opens now). */
  setQueue(saleId: string, change: { on?: boolean; admitPerSecond?: number | 'auto' }): Promise<{ changed: boolean; queue: QueueConfig }>;
  /** A train's coach with each seat's occupancy (null: no such sale). */
  coachMap(saleId: string, coach: string): Promise<CoachMap | null>;
  /** Tells the node an operator changed the sale, so its shared memory follows now (other nodes: next reconcile). */
  saleChanged(saleId: string): void;
}

/** What a poll found: the buyer's status, or why there is none. */
export type QueueLookup =
  | { kind: 'status'; status: QueueStatus }
  | { kind: 'bad_token' | 'unknown_sale' | 'not_ready' }
  | { kind: 'lookup_failed'; reason: string };

/** /queue/{sale}/join, /queue/{sale}/status */
export interface QueuePort {
  readonly auth: BuyerAuthPort;
  readonly maxBodyBytes: number;
  /** One script (src/sale/queue-scripts.ts); 'not_ready' until the node has read the key tokens are signed with. */
  join(saleId: string, user: string): Promise<JoinAnswer | { kind: 'not_ready' }>;
  /** From memory when the sale is known (no Redis call); an unknown sale costs one question to the main thread. */
  status(saleId: string, token: string, done: (found: QueueLookup) => void): void;
}

/** /healthz, /readyz, /metrics */
export interface HealthPort {
  readonly nodeId: string;
  readonly thread: number;
  draining(): boolean;
  /** Resolves when Redis answers PING. */
  ping(): Promise<unknown>;
  /** The Prometheus text, or null when the main thread did not answer in time. */
  metrics(): Promise<{ text: string; contentType: string } | null>;
}
