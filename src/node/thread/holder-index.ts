import { HolderFilter } from '../../sale/holder-filter.js';
import type { HolderIndex } from '../../sale/purchase-desk.js';
import type { SlotMemory } from '../../sale/slot-memory.js';
import type { SaleInfo } from '../../sale/types.js';

/**
 * One uWS thread's view of who may hold something in each sold-out sale: the node's shared filter, sent by the
 * main thread (node/main/holder-sync.ts) and filled by it in place. A filter counts only while no thread of the
 * node has seen more orders made than it is complete up to (SlotMemory.ordersSeen); until then every buyer of the sale
 * goes to Redis.
 */
export class ThreadHolderIndex implements HolderIndex {
  private readonly bySale = new Map<string, HolderFilter>();

  constructor(private readonly slots: SlotMemory) {}

  mayHold(sale: SaleInfo, user: string, scopedKey: string): boolean {
    const filter = this.bySale.get(sale.id);
    // synced is loaded before any bit is read: see the memory-ordering note in src/sale/holder-filter.ts.
    if (filter === undefined || filter.synced < this.slots.ordersSeen(sale.slot)) return true;
    return (user !== '' && filter.has(user)) || (scopedKey !== '' && filter.has(scopedKey));
  }

  forget(saleId: string): void {
    this.bySale.delete(saleId);
  }

  /** The master changed: every filter was read from the old one (MasterWatch). */
  forgetAll(): void {
    this.bySale.clear();
  }

  learned(saleId: string, filter: SharedArrayBuffer): void {
    this.bySale.set(saleId, new HolderFilter(filter));
  }
}
