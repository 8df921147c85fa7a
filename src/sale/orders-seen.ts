/**
 * The highest `ordersMade` (orders a sale has ever made) any thread of the node has seen, per sale slot, in a
 * SharedArrayBuffer: threads raise it from their batch replies, the main thread from each status read. A
 * thread's copy of a sale's holders is current only if it was read at this count or later
 * (src/node/thread/holder-index.ts).
 *
 * Memory ordering: raise() is a compare-and-swap loop (a lost race retries with the newer value, so the slot
 * only ever grows) and get() an Atomics.load, all sequentially consistent. A writer raises the count before it
 * sets the sold-out flag, so a thread that sees the flag also sees the count that came with it.
 */
export class OrdersSeen {
  readonly i32: Int32Array;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer);
  }

  static create(slots: number): OrdersSeen {
    return new OrdersSeen(new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT));
  }

  raise(slot: number, ordersMade: number): void {
    const target = Math.min(ordersMade, 0x7fffffff);
    for (;;) {
      const current = Atomics.load(this.i32, slot);
      if (current >= target) return;
      if (Atomics.compareExchange(this.i32, slot, current, target) === current) return;
    }
  }

  /**
   * Slot reuse only (src/node/main/slot-reset.ts): the count belongs to the sale that left; the slot's next
   * sale starts from 0 (raise() never lowers, so this is the one place that does).
   */
  reset(slot: number): void {
    Atomics.store(this.i32, slot, 0);
  }

  get(slot: number): number {
    return Atomics.load(this.i32, slot);
  }
}
