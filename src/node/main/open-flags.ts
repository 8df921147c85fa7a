import type { StockCounters } from 'native-free-shm';
import { msToNextEdge, windowOpen } from '../../sale/schedule.js';
import type { SaleInfo } from '../../sale/types.js';

/** setTimeout's limit; a later edge is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Main thread: keeps each sale's open flag in the shared stock buffer equal to its time window, so the uWS
 * threads answer "not open" from shared memory (no Redis) before opensAt and from closesAt on. The flag is set
 * when the sale is registered and again by a timer at each edge of its window.
 *
 * Memory ordering: the flag is one int written with Atomics.store and read with Atomics.load (both
 * sequentially consistent) and never combined with another field, so a thread sees the new value at its next
 * read after the store; a purchase read just before it goes to Redis, which judges the window by its clock.
 */
export class OpenFlags {
  private readonly timers = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly stock: StockCounters,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sets the flag of `sale` now and at every later edge of its window. */
  track(sale: SaleInfo): void {
    this.clear(sale.slot);
    const now = this.now();
    this.stock.setOpen(sale.slot, windowOpen(sale, now));
    const wait = msToNextEdge(sale, now);
    if (wait === null) return;
    // A timer may fire a millisecond early by the wall clock: track() then finds the edge still ahead and
    // waits the rest.
    const timer = setTimeout(() => this.track(sale), Math.min(Math.max(1, wait), MAX_TIMER_MS));
    timer.unref();
    this.timers.set(sale.slot, timer);
  }

  /** The sale of `slot` left (finished): no more edges for it. */
  forget(slot: number): void {
    this.clear(slot);
  }

  stop(): void {
    for (const slot of [...this.timers.keys()]) this.clear(slot);
  }

  private clear(slot: number): void {
    clearTimeout(this.timers.get(slot));
    this.timers.delete(slot);
  }
}
