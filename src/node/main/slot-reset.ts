import type { StockCounters } from 'native-free-shm';
import type { Inventory } from '../../sale/inventory.js';

/**
 * Zeroes a stock slot before it is given to a new sale: quota, open and sold-out flags, in-flight units and
 * the orders-seen count — nothing of the sale that left may leak into the next one.
 *
 * Memory ordering. Called on the main thread once every uWS thread acknowledged the retirement (SaleRegistry):
 * a thread acknowledges only after it dropped the sale from its directory (no new purchase can find the
 * slot) and its batcher holds no purchase of the sale (every settle, the last code that writes the slot for
 * it, has run). postMessage is a happens-before edge (the runtime's port locks), so all of the thread's
 * writes to the slot precede these stores. The stores are Atomics (seq-cst) and they precede, in program
 * order, the new sale's own writes (applyFacts, the open flag) and the 'sale' message that tells the threads
 * the slot's new owner — so a thread that learns the new sale reads only zeroes and the new sale's values.
 *
 * After a quarantine (a thread did not acknowledge in time) a straggling purchase of the old sale may still
 * settle on the slot: a give() adds a unit to the new sale's local quota, done() lowers its in-flight count,
 * a reply may lower its quota or set sold out. Each of these only changes the local throttle — Redis decides
 * every purchase — and the next reconcile (--reconcile-ms) rewrites quota and sold-out from Redis.
 */
export function resetSlot(stock: StockCounters, inventory: Inventory, slot: number): void {
  stock.setOpen(slot, false);
  inventory.reset(slot);
}
