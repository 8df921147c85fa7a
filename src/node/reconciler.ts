import type { StockCounters } from 'native-free-shm';
import type { InFlight } from './inflight.js';
import { localTarget, quotaFor } from './quota.js';
import type { KnownSale, SaleFacts } from './registry.js';

export interface QuotaPolicy {
  weight: number;
  totalWeight: number;
  quotaBuffer: number;
}

/**
 * Main thread, every --reconcile-ms (200 ms) per known sale, and once when a sale is registered: the
 * authoritative refresh. Sets the local quota to quotaFor(remaining) minus the node's in-flight units,
 * the sold-out flag to remaining == 0, and the open flag from Redis' view. This is the only place that RAISES
 * a quota (returned holds, a dead neighbour's share) and the only place that clears sold out.
 *
 * Ordering: `remaining` is read first, the in-flight count after. A purchase taken in between is counted in
 * flight and not in remaining (subtracted once: correct); one committed in between left flight and is in
 * remaining (correct); one committed between the Redis read and the in-flight read is counted in neither, so
 * the quota can be one unit per such purchase too high until the next refresh — that only costs a purchase
 * that Redis answers sold out. Never an oversell: Redis decides every unit.
 */
export function applyFacts(stock: StockCounters, inFlight: InFlight, slot: number, facts: SaleFacts, policy: QuotaPolicy): void {
  const quota = quotaFor(facts.remaining, policy.weight, policy.totalWeight, policy.quotaBuffer);
  const target = localTarget(quota, inFlight.get(slot));
  if (stock.available(slot) !== target) stock.setQuota(slot, target);
  stock.setSoldOut(slot, facts.remaining <= 0);
  stock.setOpen(slot, facts.open);
}

/**
 * uWS thread, after each batch reply carrying the global remaining R: only ever LOWERS the local quota, to
 * quotaFor(R) (without subtracting in-flight units), and marks sold out when R == 0.
 *
 * Why only lower: replies from different threads arrive in any order, so a thread may hold an older, higher R
 * than a sibling already applied; raising from it would hand out stock that is gone. Lowering to an upper
 * bound is always safe, and raising is left to the single, ordered main-thread refresh above.
 * Why not subtract in-flight here: other threads' purchases already counted in R may still be unsettled in
 * the shared in-flight count, so subtracting would count them twice and strand units until the next refresh
 * (a false "sold out" while stock exists). Leaving them as slack over-admits by at most the in-flight count.
 * Why only when it changes something: setQuota writes every partition's cache line; a single node (weight ==
 * total) normally already sits at or below quotaFor(R), so the hot path does not write at all.
 */
export function clampFromReply(stock: StockCounters, slot: number, remaining: number, policy: QuotaPolicy): void {
  if (remaining <= 0) {
    stock.setSoldOut(slot, true);
    if (stock.available(slot) > 0) stock.setQuota(slot, 0);
    return;
  }
  const quota = quotaFor(remaining, policy.weight, policy.totalWeight, policy.quotaBuffer);
  if (stock.available(slot) > quota) stock.setQuota(slot, quota);
}

/** The periodic loop: one status read per known sale, sequentially (no pile-up if Redis is slow). */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  constructor(
    private readonly sales: () => KnownSale[],
    private readonly read: (id: string) => Promise<SaleFacts | null>,
    private readonly apply: (sale: KnownSale, facts: SaleFacts) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(everyMs: number): void {
    if (everyMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const sale of this.sales()) {
        const facts = await this.read(sale.info.id);
        if (facts === null) continue;
        sale.last = facts;
        sale.lastReadAt = Date.now();
        this.apply(sale, facts);
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
