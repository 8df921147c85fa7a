/**
 * Units taken from the local quota and not yet settled, per sale slot, shared by all threads of a node
 * (Int32Array over a SharedArrayBuffer, one int per slot). A thread adds 1 right after a successful take()
 * and subtracts 1 when the purchase is settled (unit kept for a new success, or given back). The reconciler
 * reads it to compute localTarget(): it is the part of the node's quota that `remaining` does not show yet.
 * Atomics.add/sub/load are sequentially consistent; one slot is one int, so no multi-field reasoning.
 */
export class InFlight {
  readonly i32: Int32Array;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer);
  }
  static create(slots: number): InFlight {
    return new InFlight(new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT));
  }
  add(slot: number): void {
    Atomics.add(this.i32, slot, 1);
  }
  done(slot: number): void {
    Atomics.sub(this.i32, slot, 1);
  }
  /** Slot reuse only (src/node/main/slot-reset.ts): no thread may hold a unit of the slot any more. */
  reset(slot: number): void {
    Atomics.store(this.i32, slot, 0);
  }
  get(slot: number): number {
    return Atomics.load(this.i32, slot);
  }
}
