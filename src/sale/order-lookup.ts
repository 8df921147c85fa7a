import { EngineError } from '../redis/codes.js';
import type { StoredOrderView } from '../store/order-store.js';
import type { SaleEngine } from './engine.js';
import type { OrderView, PaidOrder } from './types.js';

/** What the lookup needs of the order store (src/store/order-store.ts OrderStore has it). */
export interface StoredOrderReader {
  getOrder(orderId: string): Promise<StoredOrderView | null>;
}

/**
 * PostgreSQL could not be asked about an order that is not in Redis: it may exist (retired), so this is no
 * "not found" — the HTTP answer is 503 ORDER_STORE_UNAVAILABLE, safe to repeat.
 */
export class OrderStoreUnavailable extends Error {
  override readonly name = 'OrderStoreUnavailable';
  readonly code = 'ORDER_STORE_UNAVAILABLE';
}

/**
 * Orders wherever they are (issue 11): Redis first — the authority for every live order — then, for an order
 * Redis does not have, the order store, where a retired order (final, committed, then dropped from Redis by
 * the order worker, src/sale/retention.ts) still is. `store` null = no database: Redis's answer stands.
 *
 * Pay and cancel of a retired order answer what Redis answered while it had the order (lua/pay-5.lua,
 * lua/cancel-4.lua): the order is final, so nothing is written anywhere. Paid: pay returns it, cancel is
 * ORDER_PAID. Cancelled: cancel returns it, pay is ORDER_CANCELLED. Expired: both HOLD_EXPIRED. A stored
 * order that is still 'held' but not in Redis is not retired (only final orders are): Redis lost it, and as
 * Redis decides live orders, it stays ORDER_NOT_FOUND.
 *
 * No race makes a wrong answer: an order leaves Redis only after its final state was committed, so an order
 * Redis stopped having between the two reads is in PostgreSQL by then.
 */
export class OrderLookup {
  constructor(
    private readonly engine: SaleEngine,
    private readonly store: (() => StoredOrderReader) | null,
  ) {}

  async getOrder(orderId: string): Promise<OrderView | null> {
    const live = await this.engine.getOrder(orderId);
    if (live !== null || this.store === null) return live;
    return this.stored(orderId);
  }

  pay(orderId: string, signature: string | null = null): Promise<PaidOrder> {
    return this.engine.pay(orderId, signature).catch(async (err: unknown) => ({ ...(await this.retired(err, orderId, 'pay')), replayed: false }));
  }

  cancel(orderId: string): Promise<OrderView> {
    return this.engine.cancel(orderId).catch((err: unknown) => this.retired(err, orderId, 'cancel'));
  }

  private async retired(err: unknown, orderId: string, which: 'pay' | 'cancel'): Promise<OrderView> {
    if (!(err instanceof EngineError) || err.code !== 'ORDER_NOT_FOUND' || this.store === null) throw err;
    const order = await this.stored(orderId);
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
      default:
        throw err;
    }
  }

  private async stored(orderId: string): Promise<OrderView | null> {
    try {
      return await this.store!().getOrder(orderId);
    } catch (err) {
      throw new OrderStoreUnavailable(`order ${orderId} is not in Redis and PostgreSQL did not answer (${(err as Error).message})`, { cause: err });
    }
  }
}
