import type { SaleFacts } from './types.js';

/**
 * What a node keeps in shared memory about what a sale has left, and how the hot path uses it: the port between
 * the purchase desk (and the main thread's refresh) and a kind of inventory. The authority is Redis — this is
 * a local view that may only answer "nothing left" when the authority said so, and may throttle how many
 * purchases go to Redis; it never decides a sale.
 *
 * Counter sales (one integer per sale): src/sale/counter-inventory.ts, the first implementation.
 */
export interface Inventory {
  /** Shared memory only: the authority's last word for the sale is that nothing is left. */
  soldOut(slot: number): boolean;
  /**
   * A unit of the node's local view for `thread`, or false: none right now. false is no verdict (what is left may
   * be on other nodes): the purchase goes to Redis without a unit.
   */
  take(slot: number, thread: number): boolean;
  /** The authority decided a purchase (or gave up on it): a kept unit stays taken, any other goes back. */
  settle(slot: number, thread: number, unit: boolean, kept: boolean): void;
  /** A batch reply's global remaining: may only lower the local view. True when it made the sale sold out here. */
  applyReply(slot: number, remaining: number): boolean;
  /** Main thread: the authoritative refresh from a status read (the only place that raises or clears sold out). */
  applyFacts(slot: number, facts: SaleFacts): void;
  /** Main thread, a new Redis master: nothing of the old one may answer sold out from memory. */
  forgetSoldOut(slot: number): void;
  /** Main thread, slot reuse: nothing of the sale that left may leak into the next (src/node/main/slot-reset.ts). */
  reset(slot: number): void;
}
