import type { StockCounters } from 'native-free-shm';
import type { Inventory } from './inventory.js';
import { applyFacts, clampFromReply, type QuotaPolicy } from './quota.js';
import type { SlotMemory } from './slot-memory.js';
import type { SaleFacts, SaleInfo } from './types.js';

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

  soldOut(sale: SaleInfo): boolean {
    return this.stock.isSoldOut(sale.slot);
  }

  take(sale: SaleInfo, thread: number): boolean {
    if (!this.stock.take(sale.slot, thread)) return false;
    this.slots.addInFlight(sale.slot, thread);
    return true;
  }

  settle(sale: SaleInfo, thread: number, unit: boolean, kept: boolean): void {
    if (!unit) return;
    // Not kept (refused, replayed, or undecided — the script may have run; Redis stays the authority, an extra
    // local unit only costs a doomed call): back to the quota.
    if (!kept) this.stock.give(sale.slot, thread);
    this.slots.doneInFlight(sale.slot, thread);
  }

  applyReply(sale: SaleInfo, reply: { remaining: number }): boolean {
    const wasSoldOut = this.stock.isSoldOut(sale.slot);
    clampFromReply(this.stock, sale.slot, reply.remaining, this.policy);
    return !wasSoldOut && this.stock.isSoldOut(sale.slot);
  }

  applyFacts(sale: SaleInfo, facts: SaleFacts): void {
    applyFacts(this.stock, this.slots, sale.slot, facts, this.policy);
  }

  forgetSoldOut(sale: SaleInfo): void {
    this.stock.setSoldOut(sale.slot, false);
  }

  reset(slot: number): void {
    this.stock.setSoldOut(slot, false);
    this.stock.setQuota(slot, 0);
    this.slots.reset(slot);
  }
}
