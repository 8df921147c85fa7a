import type { SaleDirectory } from '../../sale/purchase-desk.js';
import type { SaleInfo } from '../../sale/types.js';
import type { ThreadToMain } from '../messages.js';

type LookupWaiter = (sale: SaleInfo | null, error?: string) => void;

/**
 * The sales one uWS thread knows: the main thread broadcasts each sale it registers, and answers a lookup
 * for an id the thread meets first (it reads Redis at most once per id per second). Concurrent requests for
 * one unknown id share one question; no answer within 2 s counts as Redis unavailable.
 *
 * A finished sale (slot -1, node/main/registry.ts) is kept apart, in `finished`: get() — the hot path —
 * only ever returns a sale with a slot; find() answers a finished one at once, without asking again.
 */
export class ThreadSaleDirectory implements SaleDirectory {
  private readonly sales = new Map<string, SaleInfo>();
  private readonly finished = new Map<string, SaleInfo>();
  private readonly lookups = new Map<string, LookupWaiter[]>();

  constructor(
    initial: SaleInfo[],
    private readonly post: (message: ThreadToMain) => void,
    private readonly lookupTimeoutMs = 2000,
  ) {
    for (const sale of initial) this.sales.set(sale.id, sale);
  }

  get(id: string): SaleInfo | undefined {
    return this.sales.get(id);
  }

  find(id: string, done: LookupWaiter): void {
    const known = this.sales.get(id) ?? this.finished.get(id);
    if (known !== undefined) return done(known);
    let waiters = this.lookups.get(id);
    if (waiters === undefined) {
      waiters = [];
      this.lookups.set(id, waiters);
      this.post({ type: 'lookup', id });
      const timer = setTimeout(() => this.settle(id, null, 'the main thread did not answer in time'), this.lookupTimeoutMs);
      timer.unref();
    }
    waiters.push(done);
  }

  /** A sale the main thread registered (broadcast). */
  learned(sale: SaleInfo): void {
    this.sales.set(sale.id, sale);
    this.settle(sale.id, sale);
  }

  /** The main thread's answer to a lookup. */
  answered(id: string, sale: SaleInfo | null, error?: string): void {
    if (sale !== null && sale.slot >= 0) this.sales.set(sale.id, sale);
    else if (sale !== null) this.rememberFinished(sale);
    this.settle(id, sale, error);
  }

  /** The sale finished (main thread's 'forget'): no new purchase finds its slot from now on. */
  forget(id: string): void {
    const sale = this.sales.get(id);
    if (sale === undefined) return;
    this.sales.delete(id);
    this.rememberFinished({ ...sale, slot: -1 });
  }

  private rememberFinished(sale: SaleInfo): void {
    if (this.finished.size >= 10_000) this.finished.clear(); // a forgotten one is asked for again
    this.finished.set(sale.id, sale);
  }

  private settle(id: string, sale: SaleInfo | null, error?: string): void {
    const waiters = this.lookups.get(id);
    if (waiters === undefined) return;
    this.lookups.delete(id);
    for (const waiter of waiters) waiter(sale, error);
  }
}
