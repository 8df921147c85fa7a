import type { Trip } from './trip.js';
import type { SaleFacts, SaleInfo } from './types.js';

/**
 * What a node keeps in shared memory about what a sale has left, and how the hot path uses it: the port between
 * the purchase desk (and the main thread's refresh) and a kind of inventory. The authority is Redis — this is
 * a local view that may only answer "nothing left" when the authority said so, and may throttle how many
 * purchases go to Redis; it never decides a sale.
 *
 * Counter sales (one integer per sale): src/sale/counter-inventory.ts. Train sales (seats per segment of the
 * route): src/sale/train-inventory.ts. src/sale/inventories.ts picks one per sale.
 */
export interface Inventory {
  /**
   * Shared memory only: the authority's last word is that nothing is left for this purchase (a counter sale: the
   * sale; a train: no seat of the trip's class free on every segment of it, for every passenger).
   */
  soldOut(sale: SaleInfo, trip: Trip | undefined): boolean;
  /**
   * A unit of the node's local view for `thread`, or false: none right now. false is no verdict (what is left may
   * be on other nodes): the purchase goes to Redis without a unit.
   */
  take(sale: SaleInfo, thread: number): boolean;
  /** The authority decided a purchase (or gave up on it): a kept unit stays taken, any other goes back. */
  settle(sale: SaleInfo, thread: number, unit: boolean, kept: boolean): void;
  /**
   * A batch reply: its global remaining (may only lower the local view) and, for a train, the seat book as the
   * batch left it. True when it made the sale sold out here.
   */
  applyReply(sale: SaleInfo, reply: { remaining: number; board?: SaleFacts['board'] }): boolean;
  /** Main thread: the authoritative refresh from a status read (the only place that raises or clears sold out). */
  applyFacts(sale: SaleInfo, facts: SaleFacts): void;
  /** Main thread, a new Redis master: nothing of the old one may answer sold out from memory. */
  forgetSoldOut(sale: SaleInfo): void;
  /** Main thread, slot reuse: nothing of the sale that left may leak into the next (src/node/main/slot-reset.ts). */
  reset(slot: number): void;
}
