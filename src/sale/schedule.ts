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
