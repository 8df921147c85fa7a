import { createPool, type Pool, type StoreConnectOptions } from './connection.js';
import { OrderStore } from './order-store.js';

/**
 * An OrderStore whose pool is made on first use and ended by close(): a node's uWS thread asks PostgreSQL
 * only for orders that have left Redis (GET /orders/{id}, pay and cancel of a retired order), so a thread
 * that never needs it never connects. After close() the next use makes a new pool.
 */
export class LazyOrderStore {
  private pool: Pool | null = null;
  private store: OrderStore | null = null;

  constructor(
    private readonly url: string,
    private readonly options: StoreConnectOptions = {},
  ) {}

  get(): OrderStore {
    if (this.store === null) {
      this.pool = createPool(this.url, this.options);
      this.store = new OrderStore(this.pool);
    }
    return this.store;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.store = null;
    if (pool !== null) await pool.end().catch(() => {});
  }
}
