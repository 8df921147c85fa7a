import type { StockCounters } from 'native-free-shm';
import { flagOpen, msToNextEdge } from '../../sale/schedule.js';
import { BACKGROUND_TIMERS, type Timers } from '../../sale/timers.js';
import type { SaleInfo } from '../../sale/types.js';

/** setTimeout's limit; a later edge is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a slot's flag was last computed from. */
interface Applied {
  opensAt: number | null;
  closesAt: number | null;
  paused: boolean;
}

/**
 * Main thread: keeps each sale's open flag in the shared stock buffer equal to "its time window is open and no
 * operator paused it" (flagOpen, src/sale/schedule.ts), so the uWS threads answer "not open" from shared memory
 * (no Redis) before opensAt, from closesAt on and while paused. The flag is set when the sale is registered,
 * by a timer at each edge of its window, and when the reconciler reads a changed paused or closesAt (follow()).
 *
 * Memory ordering: the flag is one int written with Atomics.store and read with Atomics.load (both
 * sequentially consistent), so a thread sees the new value at its next read after the store. Window and pause
 * are combined HERE, into that one value, never by the readers: the main thread is the flag's only writer and
 * its timer edges and reconciler reads run one at a time on its event loop, each storing the whole value
 * computed from the current (window, paused) — no read-modify-write of the flag, so an edge cannot undo a
 * pause or a pause an edge. A purchase that read the flag just before a store goes to Redis, which judges
 * paused and the window itself (lua/reserve-batch-12.lua); one that read it just before a resume is answered -3
 * as it would have been a moment earlier.
 */
export class OpenFlags {
  /** The edge timer of each slot that has one (a handle `timers` gave). */
  private readonly edges = new Map<number, unknown>();
  private readonly applied = new Map<number, Applied>();

  constructor(
    private readonly stock: StockCounters,
    private readonly now: () => number = Date.now,
    /** Where the edge timers are set (tests: a clock moved by hand); by default unref'd Node timers. */
    private readonly timers: Timers = BACKGROUND_TIMERS,
  ) {}

  /** Sets the flag of `sale` now and at every later edge of its window. */
  track(sale: SaleInfo, paused = false): void {
    this.clear(sale.slot);
    this.applied.set(sale.slot, { opensAt: sale.opensAt, closesAt: sale.closesAt, paused });
    const now = this.now();
    this.stock.setOpen(sale.slot, flagOpen(sale, paused, now));
    const wait = msToNextEdge(sale, now);
    if (wait === null) return;
    // A timer may fire a millisecond early by the wall clock: track() then finds the edge still ahead and
    // waits the rest.
    this.edges.set(sale.slot, this.timers.setTimeout(() => this.track(sale, paused), Math.min(Math.max(1, wait), MAX_TIMER_MS)));
  }

  /**
   * The sale as the reconciler just read it (every --reconcile-ms): sets the flag again when an operator
   * paused, resumed or closed it since (a close moved closesAt), else leaves flag and timer alone.
   */
  follow(sale: SaleInfo, paused: boolean): void {
    const last = this.applied.get(sale.slot);
    if (last !== undefined && last.paused === paused && last.opensAt === sale.opensAt && last.closesAt === sale.closesAt) return;
    this.track(sale, paused);
  }

  /** The sale of `slot` left (finished): no more edges for it. */
  forget(slot: number): void {
    this.clear(slot);
    this.applied.delete(slot);
  }

  stop(): void {
    for (const slot of [...this.edges.keys()]) this.clear(slot);
  }

  private clear(slot: number): void {
    if (!this.edges.has(slot)) return;
    this.timers.clearTimeout(this.edges.get(slot));
    this.edges.delete(slot);
  }
}
