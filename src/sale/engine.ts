import type { Cluster, Redis } from 'ioredis';
import { EngineError, ScriptCode, errorFromCode } from '../redis/codes.js';
import { SALES_SET, assertSaleId, saleKeys } from '../redis/keys.js';
import { confirmedScripts, NO_CONFIRMATION, type Confirmation } from '../redis/confirmed-scripts.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { BATCH_ID, BATCH_SIZE, DEFAULT_MAX_SALES, DEFAULT_SALE_PAGE, EXPIRE_PER_CALL, matches, saleOfOrderId } from '../rules/input-rules.js';
import { checkSaleConfig } from '../rules/sale-config.js';
import { storedQueue } from '../rules/queue-config.js';
import { ClusterBatches, StandaloneBatches, type BatchAuthority } from './batch-authority.js';
import { isErrorTuple, unexpectedReply } from './reserve-batch.js';
import { newIdKey } from './ids.js';
import { findOrder } from './order-read.js';
import { matchPlace, placedSales, registryCapacity, releasePlace, reservePlace } from './places.js';
import { checkBatchShape, checkPurchase } from './purchase-checks.js';
import { trainArgs } from './train-catalogue.js';
import { coachMap, type CoachMap } from './seat-map.js';
import { SaleAudit } from './audit.js';
import { addStock, closeSale, setPaused, statusPage, type Changed, type Closed, type Restocked, type SalePage } from './operations.js';
import { statusFromReply } from './sale-status.js';
import { joinQueue, queueHistory, setQueue, tickQueue, type JoinAsk, type QueueJoin, type QueueTick } from './queue-scripts.js';
import type { QueueConfig } from '../rules/queue-config.js';
import { retireOrders, trimStream, type RetireReply, type TrimReply } from './retention.js';
import { readHolderLogPage } from './holder-log.js';
import { restoreSale, type RestoreReport, type RestoreSource } from './restore.js';
import { cancelOrder, checkInOrder, payOrder } from './order-transitions.js';
import type { AuditOptions, AuditReport, BatchReply, CheckIn, ExpireReply, HolderLogPage, KeyedSaleStatus, OrderFound, OrderView, PaidOrder, PurchaseRequest, SaleConfig, SaleStatus } from './types.js';

export const DEFAULT_EXPIRE_LIMIT = 200;
export { IDEMPOTENCY_KEY_WINDOW_SECONDS } from './key-claims.js';

/** Typed wrappers over the lua/ scripts. One instance per client; cheap. */
export class SaleEngine {
  private readonly scripts: ScriptCommands;
  private readonly batches: BatchAuthority;

  /**
   * `confirm`: how many replicas must have a confirming write (a purchase, pay, cancel, check-in, a sale's creation
   * or change) before its reply is returned (src/redis/confirmed-scripts.ts); default none (one Redis).
   */
  constructor(
    readonly redis: Redis | Cluster,
    options: { confirm?: Confirmation } = {},
  ) {
    this.scripts = confirmedScripts(redis, options.confirm ?? NO_CONFIRMATION);
    this.batches = redis.isCluster ? new ClusterBatches(redis, this.scripts) : new StandaloneBatches(this.scripts);
  }

  /**
   * Creates a sale in two steps (src/sale/places.ts): a place in the sale registry first (throws
   * ERR_REGISTRY_FULL when `capacity` live sales exist, ERR_REGISTRY_CAPACITY when `capacity` — the caller's
   * --max-sales — is below the stored one), then the sale's own keys. A Redis error in between leaves the
   * place taken (the create may have run): send the same create again. The sale gets a new order-id key
   * (src/sale/ids.ts); a create that finds the sale keeps the key it has.
   */
  async createSale(input: SaleConfig, capacity: number = DEFAULT_MAX_SALES): Promise<'created' | 'exists'> {
    if (input === null || typeof input !== 'object') {
      throw new EngineError('ERR_INVALID_SALE', 'sale config: pass an object {id, total, perUserLimit, holdSeconds, anonymous}', 'config');
    }
    const checked = checkSaleConfig(input);
    if (!checked.ok) throw new EngineError('ERR_INVALID_SALE', `sale ${checked.field}: ${checked.problem}`, checked.field);
    const c = checked.value;
    const placed = await reservePlace(this.scripts, c.id, c.closesAt, capacity);
    const k = saleKeys(c.id);
    const fields = [c.total, c.perUserLimit, c.holdSeconds, c.opensAt ?? 0, c.closesAt ?? 0, c.anonymous ? 1 : 0, newIdKey()];
    const queueArg = c.queue === undefined ? '' : storedQueue(c.queue);
    const reply =
      c.train === undefined
        ? await this.scripts.createSale(k.meta, ...fields, queueArg)
        : await this.scripts.createTrain(k.meta, k.seats, k.free, k.stretch, ...fields, ...trainArgs(c.train), queueArg);
    if (reply !== ScriptCode.Ok && reply !== ScriptCode.Exists) {
      if (placed === 'new') await releasePlace(this.redis, c.id); // refused: nothing of the sale was written
      if (isErrorTuple(reply)) throw errorFromCode(reply[0], reply[1], `sale ${c.id}`);
      throw unexpectedReply(`sale ${c.id}`, reply);
    }
    if (reply === ScriptCode.Exists && placed === 'new') {
      // The place was taken with this request's closesAt; the sale that exists keeps its own.
      const existing = await this.status(c.id);
      if (existing !== null) await matchPlace(this.redis, c.id, existing.closesAt);
    }
    // ts:sales is in another slot: added after the script, not atomically. Re-adding on 'exists' repairs a
    // crash between the two steps.
    await this.redis.sadd(SALES_SET, c.id);
    return reply === ScriptCode.Ok ? 'created' : 'exists';
  }

  /** Buyers join the sale's waiting room (lua/queue-join-4.lua): once per buyer; one answer per user, in order. */
  joinQueue(saleId: string, joins: JoinAsk[]): Promise<QueueJoin[]> {
    assertSaleId(saleId);
    return joinQueue(this.scripts, saleId, joins);
  }

  /** One node's tick of the sale's waiting room (lua/queue-tick-6.lua); null: the sale has none. */
  queueTick(saleId: string, base: number, bits: Buffer, since: number): Promise<QueueTick | null> {
    assertSaleId(saleId);
    return tickQueue(this.scripts, saleId, base, bits, since);
  }

  /** When the recent places of the sale's line were admitted (lua/queue-tick-6.lua's per-second history). */
  queueHistory(saleId: string): Promise<Array<{ at: number; served: number }>> {
    assertSaleId(saleId);
    return queueHistory(this.redis, saleId);
  }

  /** An operator's on/off and rate (lua/queue-set-1.lua); a sale without a waiting room gets one opening now. */
  setQueue(saleId: string, change: { on?: boolean; admitPerSecond?: number | 'auto' }): Promise<{ changed: boolean; queue: QueueConfig }> {
    assertSaleId(saleId);
    return setQueue(this.scripts, saleId, change);
  }

  /**
   * Rebuilds a sale Redis lost entirely from PostgreSQL (src/sale/restore.ts); throws ERR_SALE_EXISTS when Redis has
   * it, ERR_UNKNOWN_SALE when PostgreSQL does not.
   */
  restore(source: RestoreSource, saleId: string, capacity: number = DEFAULT_MAX_SALES): Promise<RestoreReport> {
    assertSaleId(saleId);
    return restoreSale(this.redis, this.scripts, source, saleId, capacity);
  }

  /** The sale registry's capacity (stores `offered`, a node's --max-sales, when none is stored yet). */
  registryCapacity(offered: number): Promise<number> {
    return registryCapacity(this.redis, offered);
  }

  /** Sales with a place in the registry: every live one (and finished ones not pruned yet). */
  placedSales(): Promise<string[]> {
    return placedSales(this.redis);
  }

  /**
   * Decides a batch for one sale in one script call. Throws EngineError on bad arguments (nothing written).
   * An unknown sale gives every purchase Outcome.UnknownSale. A Redis error or timeout rejects with that
   * error: the outcome is then UNKNOWN (the script may have run) — re-send the same batch id or the same
   * order ids / idempotency keys to learn it; a replay never takes a second unit.
   */
  async reserveBatch(saleId: string, batchId: string, purchases: PurchaseRequest[]): Promise<BatchReply> {
    assertSaleId(saleId);
    if (!matches(BATCH_ID, batchId)) {
      throw new EngineError('ERR_INVALID_ARGUMENT', `batch id ${JSON.stringify(batchId)} is invalid: make it with newBatchId()`, 'batchId');
    }
    if (!Array.isArray(purchases) || purchases.length === 0) {
      throw new EngineError('ERR_INVALID_ARGUMENT', 'purchases must be a non-empty array', 'purchases');
    }
    if (purchases.length > BATCH_SIZE.max) {
      throw new EngineError(
        'ERR_BATCH_TOO_LARGE',
        `a batch holds at most ${BATCH_SIZE.max} purchases, got ${purchases.length}; split it`,
        String(BATCH_SIZE.max),
      );
    }
    for (let i = 0; i < purchases.length; i++) checkPurchase(saleId, purchases[i], i);
    checkBatchShape(purchases);
    return this.batches.reserve(saleId, batchId, purchases);
  }

  /**
   * Pays a live hold; paying a paid order returns it (`replayed` true when `signature` — a signed callback's
   * 64-hex HMAC — is the one that paid it). Throws ORDER_NOT_FOUND, HOLD_EXPIRED, ORDER_CANCELLED.
   * src/sale/order-transitions.ts.
   */
  async pay(orderId: string, signature: string | null = null): Promise<PaidOrder> {
    return payOrder(this.scripts, this.saleOf(orderId), orderId, signature);
  }

  /** Cancels a hold (its unit returns once); cancelling again returns it. Throws ORDER_NOT_FOUND, ORDER_PAID, HOLD_EXPIRED. */
  async cancel(orderId: string): Promise<OrderView> {
    return cancelOrder(this.scripts, this.saleOf(orderId), orderId);
  }

  /** A paid order's ticket admitted at `gate`, once; later calls throw ALREADY_CHECKED_IN (src/sale/order-transitions.ts). */
  async checkIn(seen: OrderView, gate: string): Promise<CheckIn> {
    return checkInOrder(this.scripts, this.saleOf(seen.id), seen, gate);
  }

  /**
   * The order, or null. A held order whose deadline passed (not yet swept) reads as 'expired'. An order retired from
   * Redis (final and in PostgreSQL, `retireOrders`) is null too (findOrder tells more). Pay and cancel of one throw ORDER_NOT_FOUND.
   */
  getOrder(orderId: string): Promise<OrderView | null> {
    return this.findOrder(orderId).then((found) => (found.kind === 'live' ? found.order : null));
  }

  /** The order, or — in the same call — whether its sale exists, its order-id key and its retired count (src/sale/order-read.ts). */
  findOrder(orderId: string): Promise<OrderFound> {
    return findOrder(this.scripts, orderId, (id) => this.saleOf(id));
  }

  /**
   * Releases at most `limit` (1..1000) due holds of a sale, looking at no more than 4 x `limit` orders
   * (deadlines are kept per batch: orders of a due batch already paid or cancelled are looked at and
   * skipped, so a call may release fewer than `limit` while `more` is true). Safe to run from several nodes
   * at once.
   */
  async expireDue(saleId: string, limit = DEFAULT_EXPIRE_LIMIT): Promise<ExpireReply> {
    const k = saleKeys(saleId);
    if (!Number.isInteger(limit) || limit < EXPIRE_PER_CALL.min || limit > EXPIRE_PER_CALL.max) {
      throw new EngineError('ERR_INVALID_ARGUMENT', `expire limit ${limit} is invalid: use ${EXPIRE_PER_CALL.min}..${EXPIRE_PER_CALL.max}`, 'limit');
    }
    const reply = await this.scripts.expireHolds(k.meta, k.holders, k.orders, k.deadlines, k.stream, k.seats, k.free, k.stretch, k.items, limit);
    if (isErrorTuple(reply)) throw errorFromCode(reply[0], saleId, `sale ${saleId}`);
    if (!Array.isArray(reply) || reply.length !== 3) throw unexpectedReply(`expire on sale ${saleId}`, reply);
    const [expired, remaining, more] = reply as [number, number, number];
    return { expired, remaining, more: more === 1 };
  }

  /** A sale's counters and settings, its state judged by Redis's clock; null for an unknown sale. */
  async status(saleId: string): Promise<SaleStatus | null> {
    return (await this.keyedStatus(saleId))?.status ?? null;
  }

  /** status() and the sale's order-id key (null: legacy), for the node's registry and the order worker only. */
  async keyedStatus(saleId: string): Promise<KeyedSaleStatus | null> {
    const k = saleKeys(saleId);
    return statusFromReply(saleId, await this.scripts.saleStatus(k.meta, k.stretch));
  }

  /** Pauses (true) or resumes (false) a sale; `changed` false: it already was. Throws ERR_UNKNOWN_SALE, ERR_SALE_CLOSED. */
  setPaused(saleId: string, paused: boolean): Promise<Changed> {
    return setPaused(this.scripts, saleId, paused);
  }

  /** Ends a sale now (closesAt = Redis TIME) and moves its registry place to match. Throws ERR_UNKNOWN_SALE. */
  close(saleId: string): Promise<Closed> {
    return closeSale(this.scripts, this.redis, saleId);
  }

  /** total += add (< 0: unsold seats off sale). Throws ERR_UNKNOWN_SALE, ERR_SALE_CLOSED, ERR_STOCK_FLOOR, ERR_INVALID_ARGUMENT. */
  addStock(saleId: string, add: number): Promise<Restocked> {
    return addStock(this.scripts, saleId, add);
  }

  /** One page of every sale (ts:sales) in id order, with its status: the ids after `after`, at most `limit` (1..500). */
  statusPage(after = '', limit: number = DEFAULT_SALE_PAGE): Promise<SalePage> {
    return statusPage(() => this.listSales(), (id) => this.status(id), after, limit);
  }

  /**
   * Retention, after the order worker's COMMIT: drops the records of these orders that are final (paid,
   * cancelled, expired; a held one is skipped), counts them in the sale's retired counters, and drops their
   * idempotency records once `idemWindowMs` has passed since each order was made (kept until then, and dropped
   * by a later call). At most 1000 ids per call. See src/sale/retention.ts.
   */
  retireOrders(saleId: string, orderIds: readonly string[], idemWindowMs: number): Promise<RetireReply> {
    return retireOrders(this.scripts, saleId, orderIds, idemWindowMs);
  }

  /** Retention: removes the sale stream's entries older than `minId` and older than every entry a deadline names. */
  trimStream(saleId: string, minId: string): Promise<TrimReply> {
    return trimStream(this.scripts, saleId, minId);
  }

  /** Who may hold something in a sale, from `cursor` on, at most `max` entries (src/sale/holder-log.ts). */
  holderLogPage(saleId: string, cursor: number, max: number): Promise<HolderLogPage | null> {
    return readHolderLogPage(this.scripts, saleId, cursor, max);
  }

  /** One coach of a train sale with each seat's occupancy (src/sale/seat-map.ts); null for an unknown sale. Throws ERR_INVALID_ARGUMENT for a counter sale or a coach it has not. */
  async coachMap(saleId: string, coach: string): Promise<CoachMap | null> {
    const status = await this.status(saleId);
    if (status === null) return null;
    if (status.train === undefined) throw new EngineError('ERR_INVALID_ARGUMENT', `sale ${saleId} sells a count, not seats: it has no coaches`, 'coach');
    return coachMap(this.redis, saleId, status.train, coach);
  }

  async listSales(): Promise<string[]> {
    return (await this.redis.smembers(SALES_SET)).sort();
  }

  /** How many ids ts:sales holds (SCARD, O(1)). Only createSale writes the set (SADD), so an unchanged count is an unchanged list. */
  countSales(): Promise<number> {
    return this.redis.scard(SALES_SET);
  }

  /**
   * Proves a sale's accounting from its orders, in short read-only pages (src/sale/audit.ts): each script call
   * looks at about `pageSize` orders (a few ms of Redis), so it can run during a live sale; purchases going on
   * never make it report a problem (the counted totals are then compared within bounds, `moving`).
   * Throws ERR_UNKNOWN_SALE.
   */
  audit(saleId: string, options: AuditOptions = {}): Promise<AuditReport> {
    assertSaleId(saleId);
    return new SaleAudit(this.redis, this.scripts, saleId, () => this.status(saleId), options).run();
  }

  private saleOf(orderId: string): string {
    const sale = saleOfOrderId(orderId);
    if (sale === null) {
      throw new EngineError('ERR_INVALID_ARGUMENT', `order id ${JSON.stringify(orderId)} is invalid: expected "<saleId>.<unique>"`, 'orderId');
    }
    assertSaleId(sale);
    return sale;
  }
}
