import type { StockCounters } from 'native-free-shm';
import { CounterInventory } from './counter-inventory.js';
import type { Inventory } from './inventory.js';
import type { QuotaPolicy } from './quota.js';
import type { SlotMemory } from './slot-memory.js';
import { TrainInventory } from './train-inventory.js';
import type { Trip } from './trip.js';
import type { SaleFacts, SaleInfo } from './types.js';

/** The inventory of each sale by its kind: a train sale's seat board, a counter sale's quota. */
export class Inventories implements Inventory {
  readonly counter: CounterInventory;
  readonly train: TrainInventory;

  constructor(stock: StockCounters, slots: SlotMemory, policy: QuotaPolicy) {
    this.counter = new CounterInventory(stock, slots, policy);
    this.train = new TrainInventory(stock);
  }

  of(sale: SaleInfo): Inventory {
    return sale.train === null ? this.counter : this.train;
  }

  soldOut(sale: SaleInfo, trip: Trip | undefined): boolean {
    return this.of(sale).soldOut(sale, trip);
  }

  take(sale: SaleInfo, thread: number): boolean {
    return this.of(sale).take(sale, thread);
  }

  settle(sale: SaleInfo, thread: number, unit: boolean, kept: boolean): void {
    this.of(sale).settle(sale, thread, unit, kept);
  }

  applyReply(sale: SaleInfo, reply: { remaining: number; board?: SaleFacts['board'] }): boolean {
    return this.of(sale).applyReply(sale, reply);
  }

  applyFacts(sale: SaleInfo, facts: SaleFacts): void {
    this.of(sale).applyFacts(sale, facts);
  }

  forgetSoldOut(sale: SaleInfo): void {
    this.of(sale).forgetSoldOut(sale);
  }

  /** Both kinds' shared state of the slot (the slot's next sale may be of either kind). */
  reset(slot: number): void {
    this.counter.reset(slot);
  }
}
