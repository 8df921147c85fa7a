import type { StockCounters } from 'native-free-shm';
import type { Inventory } from './inventory.js';
import { applyFacts, clampFromReply, type QuotaPolicy } from './quota.js';
import type { SlotMemory } from './slot-memory.js';
import type { SaleFacts } from './types.js';

/**
 * A counter sale's local view: the node's weighted quota in native-free-shm (one CAS per take), the units
 * taken and not settled in the slot memory, the sold-out flag. The rules (why a reply only lowers, why the
 * refresh subtracts what is in flight) are in src/sale/quota.ts, next to the arithmetic.
 */
export class CounterInventory implements Inventory {
  constructor(
    private readonly stock: StockCounters,
    private readonly slots: SlotMemory,
    private readonly policy: QuotaPolicy,
  ) {}

  soldOut(slot: number): boolean {
    return this.stock.isSoldOut(slot);
  }

  take(slot: number, thread: number): boolean {
    if (!this.stock.take(slot, thread)) return false;
    this.slots.addInFlight(slot, thread);
    return true;
  }

  settle(slot: number, thread: number, unit: boolean, kept: boolean): void {
    if (!unit) return;
    // Not kept (refused, replayed, or undecided — the script may have run; Redis stays the authority, an extra
    // local unit only costs a doomed call): back to the quota.
    if (!kept) this.stock.give(slot, thread);
    this.slots.doneInFlight(slot, thread);
  }

  applyReply(slot: number, remaining: number): boolean {
    const wasSoldOut = this.stock.isSoldOut(slot);
    clampFromReply(this.stock, slot, remaining, this.policy);
    return !wasSoldOut && this.stock.isSoldOut(slot);
  }

  applyFacts(slot: number, facts: SaleFacts): void {
    applyFacts(this.stock, this.slots, slot, facts, this.policy);
  }

  forgetSoldOut(slot: number): void {
    this.stock.setSoldOut(slot, false);
  }

  reset(slot: number): void {
    this.stock.setSoldOut(slot, false);
    this.stock.setQuota(slot, 0);
    this.slots.reset(slot);
  }
}
