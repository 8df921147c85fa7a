import type { StockCounters } from 'native-free-shm';
import type { SaleFacts, SaleInfo } from '../../sale/types.js';

export interface KnownSale {
  info: SaleInfo;
  /** The last status read from Redis (by lookup or by the reconciler). */
  last: SaleFacts;
  lastReadAt: number;
}

/**
 * Sale id -> stock slot, owned by the main thread. Learns sales from Redis at start and periodically
 * (listSales), and on demand when a thread meets an id it does not know. Slots are never reused: a sale keeps
 * its slot for the life of the process (maxSales bounds them; --max-sales).
 *
 * Misses are cached for `missTtlMs` so a flood of made-up sale ids costs one Redis read per id per second,
 * not one per request; concurrent lookups of the same id share one read.
 */
export class SaleRegistry {
  readonly sales = new Map<string, KnownSale>();
  private readonly misses = new Map<string, number>();
  private readonly pending = new Map<string, Promise<KnownSale | null>>();
  private nextSlot = 0;

  constructor(
    private readonly stock: StockCounters,
    private readonly load: (id: string) => Promise<SaleFacts | null>,
    private readonly onNew: (sale: KnownSale) => void,
    private readonly missTtlMs = 1000,
  ) {}

  get(id: string): KnownSale | undefined {
    return this.sales.get(id);
  }

  /** Finds a sale, reading Redis only when it is neither known nor a recent miss. Throws when Redis fails. */
  lookup(id: string): Promise<KnownSale | null> {
    const known = this.sales.get(id);
    if (known !== undefined) return Promise.resolve(known);
    const missUntil = this.misses.get(id);
    if (missUntil !== undefined && missUntil > Date.now()) return Promise.resolve(null);
    let pending = this.pending.get(id);
    if (pending === undefined) {
      pending = this.load(id)
        .then((facts) => {
          if (facts === null) {
            this.rememberMiss(id);
            return null;
          }
          return this.add(facts);
        })
        .finally(() => this.pending.delete(id));
      this.pending.set(id, pending);
    }
    return pending;
  }

  /** Registers a sale read from Redis (or returns the known entry); allocates its slot and announces it. */
  add(facts: SaleFacts): KnownSale | null {
    const known = this.sales.get(facts.id);
    if (known !== undefined) return known;
    if (this.nextSlot >= this.stock.sales) return null; // full: the sale is answered 404 with a hint in the log
    const info: SaleInfo = {
      id: facts.id,
      slot: this.nextSlot++,
      total: facts.total,
      anonymous: facts.anonymous,
      perUserLimit: facts.perUserLimit,
      holdSeconds: facts.holdSeconds,
      opensAt: facts.opensAt,
      closesAt: facts.closesAt,
    };
    const sale: KnownSale = { info, last: facts, lastReadAt: Date.now() };
    this.misses.delete(facts.id);
    this.sales.set(facts.id, sale);
    this.onNew(sale);
    return sale;
  }

  get full(): boolean {
    return this.nextSlot >= this.stock.sales;
  }

  private rememberMiss(id: string): void {
    // Bound the cache itself: a flood of distinct bogus ids must not grow memory without limit.
    if (this.misses.size >= 10_000) this.misses.clear();
    this.misses.set(id, Date.now() + this.missTtlMs);
  }

  list(): KnownSale[] {
    return [...this.sales.values()];
  }
}
