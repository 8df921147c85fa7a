// take() exactly as native-free-shm does it, minus the cumulative `taken` counter (the Atomics.add on
// the taker's line) and minus argument checks: the reference for "what do the metrics cost".
// Built from the exported layout constants, so it reads the same memory as the real thing.

import { StockCounters, layout } from '../../../native-free-shm/src/index.js';

export function makeBareTake(counters: StockCounters): (slot: number, partition: number) => boolean {
  const i32 = new Int32Array(counters.buffer);
  const stride = counters.cacheLinePadding ? layout.kPaddedPartitionStride : layout.kPackedPartitionStride;
  const slotStride = layout.slotStride(counters.partitions, stride);
  const n = counters.partitions;
  return (slot, partition) => {
    const first = layout.kHeaderInts + slot * slotStride + layout.kSlotControlInts;
    let p = partition;
    for (let visited = 0; visited < n; visited++) {
      const index = first + p * stride + layout.kAvailableField;
      let current = Atomics.load(i32, index);
      while (current > 0) {
        const witnessed = Atomics.compareExchange(i32, index, current, current - 1);
        if (witnessed === current) return true;
        current = witnessed;
      }
      p = p + 1 === n ? 0 : p + 1;
    }
    return false;
  };
}
