/**
 * A sale's time window, [opensAt, closesAt), judged by this node's clock. The node keeps the sale's open flag
 * in shared memory from it (node/main/open-flags.ts); Redis judges the same window by its own clock for every
 * purchase that reaches it, so a skew between the two clocks only moves where, at the very edge, a purchase is
 * refused — never whether it is.
 */
export interface SaleWindow {
  /** ms since the epoch, or null = open from the start. */
  opensAt: number | null;
  /** ms since the epoch, or null = never closes. */
  closesAt: number | null;
}

export function windowOpen(window: SaleWindow, nowMs: number): boolean {
  return (window.opensAt === null || nowMs >= window.opensAt) && (window.closesAt === null || nowMs < window.closesAt);
}

/** ms from `nowMs` to the next time windowOpen() changes, or null when it never changes again. */
export function msToNextEdge(window: SaleWindow, nowMs: number): number | null {
  if (window.opensAt !== null && nowMs < window.opensAt) return window.opensAt - nowMs;
  if (window.closesAt !== null && nowMs < window.closesAt) return window.closesAt - nowMs;
  return null;
}

/**
 * Where a sale stands, as operators see it (GET /admin/sales, `sale list`): closed once closesAt has passed (an
 * operator's close sets closesAt to that moment), else paused while an operator paused it, else scheduled before
 * opensAt, else open. Closed wins over paused, paused over scheduled: a sale paused before it opens stays not
 * open past opensAt until it is resumed.
 */
export type SaleState = 'scheduled' | 'open' | 'paused' | 'closed';

export function saleState(window: SaleWindow, paused: boolean, nowMs: number): SaleState {
  if (window.closesAt !== null && nowMs >= window.closesAt) return 'closed';
  if (paused) return 'paused';
  if (window.opensAt !== null && nowMs < window.opensAt) return 'scheduled';
  return 'open';
}

/** What a node's open flag holds (node/main/open-flags.ts): the window is open and no operator paused the sale. */
export function flagOpen(window: SaleWindow, paused: boolean, nowMs: number): boolean {
  return !paused && windowOpen(window, nowMs);
}
