import { EngineError } from '../redis/codes.js';
import { saleOfOrderId } from '../rules/input-rules.js';
import type { StoredOrderView } from '../store/order-store.js';
import type { SaleEngine } from './engine.js';
import { orderIdTagValid } from './ids.js';
import { TtlCache } from './ttl-cache.js';
import type { OrderFound, OrderView, PaidOrder } from './types.js';

/** What the lookup needs of the order store (src/store/order-store.ts OrderStore has it). */
export interface StoredOrderReader {
  getOrder(orderId: string): Promise<StoredOrderView | null>;
  /** Every sale PostgreSQL has, with its order-id key (null: legacy, ids without a tag). */
  saleIdKeys(): Promise<Map<string, string | null>>;
}

/**
 * PostgreSQL could not be asked about an order that is not in Redis: it may exist (retired), so this is no
 * "not found" — the HTTP answer is 503 ORDER_STORE_UNAVAILABLE, safe to repeat.
 */
export class OrderStoreUnavailable extends Error {
  override readonly name = 'OrderStoreUnavailable';
  readonly code = 'ORDER_STORE_UNAVAILABLE';
}

export interface OrderLookupOptions {
  /** Order ids PostgreSQL did not have, remembered per thread (default 10,000, each for missTtlMs, 60 s). */
  missEntries?: number;
  missTtlMs?: number;
  /**
   * PostgreSQL's sales table, read whole, is read again for a sale it did not have once it is this old (default
   * 5 s): however many made-up sale ids arrive, one query per thread per period.
   */
  saleMissTtlMs?: number;
  now?: () => number;
}

/** What Redis said of an absent order's sale (OrderFound 'absent'). */
type AbsentSale = Extract<OrderFound, { kind: 'absent' }>['sale'];

/** The stamp of a miss of a sale Redis does not have (a retired count is never negative). */
const NOT_IN_REDIS = -1;

/**
 * Orders wherever they are (issue 11): Redis first — the authority for every live order — then, for an order
 * Redis does not have, the order store, where a retired order (final, committed, then dropped from Redis by
 * the order worker, src/sale/retention.ts) still is. `store` null = no database: Redis's answer stands.
 *
 * Pay and cancel of a retired order answer what Redis answered while it had the order (lua/pay-9.lua,
 * lua/cancel-8.lua): the order is final, so nothing is written anywhere. Paid: pay returns it, cancel is
 * ORDER_PAID. Cancelled: cancel returns it, pay is ORDER_CANCELLED. Expired: both HOLD_EXPIRED. A stored
 * order that is still 'held' but not in Redis is not retired (only final orders are): Redis lost it, and as
 * Redis decides live orders, it stays ORDER_NOT_FOUND.
 *
 * No race makes a wrong answer: an order leaves Redis only after its final state was committed, so an order
 * Redis stopped having between the two reads is in PostgreSQL by then.
 *
 * Orders that cannot exist cost no order query (issue 17), decided in `stored` from what the one Redis call
 * said of the sale (lua/get-order-3.lua): a sale Redis has with an id whose tag its key rejects (src/sale/ids.ts),
 * or none of whose orders ever left Redis, is 404 at once; a sale Redis does not have is asked of PostgreSQL's
 * sales table, read whole at most once per few seconds (so a flood of made-up sale ids costs one query, not one
 * each), and an unknown one is 404. What passes is asked of PostgreSQL
 * once per id: a miss is remembered (see `storedOrder` for why that is safe).
 */
export class OrderLookup {
  private readonly misses: TtlCache<number>;
  private readonly ordersAsked = new Map<string, Promise<OrderView | null>>();
  /** PostgreSQL's sales as last read (a sale's key never changes once stored), and the read under way. */
  private directory: { readAt: number; idKeys: Map<string, string | null> } | null = null;
  private directoryAsked: Promise<Map<string, string | null>> | null = null;
  private readonly missTtlMs: number;
  private readonly saleMissTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly engine: Pick<SaleEngine, 'findOrder' | 'pay' | 'cancel'>,
    private readonly store: (() => StoredOrderReader) | null,
    options: OrderLookupOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.misses = new TtlCache(options.missEntries ?? 10_000, this.now);
    this.missTtlMs = options.missTtlMs ?? 60_000;
    this.saleMissTtlMs = options.saleMissTtlMs ?? 5000;
  }

  async getOrder(orderId: string): Promise<OrderView | null> {
    const found = await this.engine.findOrder(orderId);
    if (found.kind === 'live') return found.order;
    if (this.store === null) return null;
    return this.stored(orderId, found.sale);
  }

  /** Whether PostgreSQL has a sale of this id, read now (not the cached directory); null without a database. */
  storeHasSale(): ((saleId: string) => Promise<boolean>) | null {
    const store = this.store;
    if (store === null) return null;
    return async (saleId) => (await this.ask(`sale ${saleId} may be in PostgreSQL`, () => store().saleIdKeys())).has(saleId);
  }

  pay(orderId: string, signature: string | null = null): Promise<PaidOrder> {
    return this.engine.pay(orderId, signature).catch(async (err: unknown) => ({ ...(await this.retired(err, orderId, 'pay')), replayed: false }));
  }

  cancel(orderId: string): Promise<OrderView> {
    return this.engine.cancel(orderId).catch((err: unknown) => this.retired(err, orderId, 'cancel'));
  }

  private async retired(err: unknown, orderId: string, which: 'pay' | 'cancel'): Promise<OrderView> {
    if (!(err instanceof EngineError) || err.code !== 'ORDER_NOT_FOUND' || this.store === null) throw err;
    // Pay and cancel do not say what Redis knows of the sale: one read does. An order there now was made after
    // the script looked (its purchase had not landed): Redis's "not found" stands, as it did before.
    const found = await this.engine.findOrder(orderId);
    const order = found.kind === 'live' ? null : await this.stored(orderId, found.sale);
    const subject = `order ${orderId}`;
    switch (order?.status) {
      case 'paid':
        if (which === 'pay') return order;
        throw new EngineError('ORDER_PAID', `${subject}: the order is paid and cannot be cancelled`);
      case 'cancelled':
        if (which === 'cancel') return order;
        throw new EngineError('ORDER_CANCELLED', `${subject}: the order was cancelled; buy again`);
      case 'expired':
        throw new EngineError('HOLD_EXPIRED', `${subject}: the hold expired and its ticket went back on sale; buy again`);
      case 'held': // in PostgreSQL but not retired (only final orders are): Redis's "not found" stands
      case undefined: // in neither
        throw err;
    }
  }

  /** The gate in front of PostgreSQL: null without an order query when the order cannot exist. */
  private async stored(orderId: string, sale: AbsentSale): Promise<OrderView | null> {
    if (sale !== null) {
      if (!orderIdTagValid(orderId, sale.idKey)) return null; // not made by this sale's nodes
      if (sale.retired === 0) return null; // nothing ever left Redis: its miss is the whole truth
      return this.storedOrder(orderId, sale.retired);
    }
    const known = await this.storedSale(saleOfOrderId(orderId)!);
    if (known === null || !orderIdTagValid(orderId, known.idKey)) return null;
    return this.storedOrder(orderId, NOT_IN_REDIS);
  }

  /**
   * PostgreSQL's answer for an id Redis does not have, with its misses remembered (~10k ids per thread, 60 s).
   * Why a remembered miss is true: Redis is asked first every time, and an order leaves Redis only after its
   * final state was committed in PostgreSQL — so an order that is in neither now was not retired before this
   * query. One case is left: an id no order has YET (a purchase answered 503 OUTCOME_UNKNOWN names its order id
   * before the batch lands) may be made, finish and retire after the miss. Hence the stamp: the sale's retired
   * count from the same Redis call (or NOT_IN_REDIS). A miss answers only while the stamp is unchanged — no
   * order of the sale has left Redis since, so this one cannot have. Counters only grow, so a changed stamp
   * asks again. Concurrent lookups of one id with one stamp share a query on the same argument.
   */
  private storedOrder(orderId: string, stamp: number): Promise<OrderView | null> {
    if (this.misses.get(orderId) === stamp) return Promise.resolve(null);
    const key = `${stamp} ${orderId}`;
    let asked = this.ordersAsked.get(key);
    if (asked === undefined) {
      asked = this.ask(`order ${orderId} is not in Redis`, () => this.store!().getOrder(orderId))
        .then((order) => {
          if (order === null) this.misses.set(orderId, stamp, this.missTtlMs);
          return order;
        })
        .finally(() => this.ordersAsked.delete(key));
      this.ordersAsked.set(key, asked);
    }
    return asked;
  }

  /**
   * A sale Redis does not have, from PostgreSQL's sales table read whole: a sale found stays found (its key never
   * changes, OrderStore.upsertSale keeps the first); a sale not in it is 404 until the table is read again, at most
   * once per saleMissTtlMs — sales reach the table long before Redis lets go of them (the order worker writes a
   * sale's row as soon as it lists the sale). Read per sale id instead, each made-up sale id cost one query.
   * Errors are not remembered.
   */
  private async storedSale(saleId: string): Promise<{ idKey: string | null } | null> {
    const known = this.directory;
    if (known !== null) {
      const idKey = known.idKeys.get(saleId);
      if (idKey !== undefined) return { idKey };
      if (this.now() - known.readAt < this.saleMissTtlMs) return null;
    }
    const idKey = (await this.readDirectory()).get(saleId);
    return idKey === undefined ? null : { idKey };
  }

  /** One read of the sales table at a time, shared by every lookup that waits for it. */
  private readDirectory(): Promise<Map<string, string | null>> {
    this.directoryAsked ??= this.ask('the sale is not in Redis', () => this.store!().saleIdKeys())
      .then((idKeys) => {
        this.directory = { readAt: this.now(), idKeys };
        return idKeys;
      })
      .finally(() => (this.directoryAsked = null));
    return this.directoryAsked;
  }

  private async ask<T>(what: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      throw new OrderStoreUnavailable(`${what} and PostgreSQL did not answer (${(err as Error).message})`, { cause: err });
    }
  }
}
