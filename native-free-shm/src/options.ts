// options -> checked, filled options (piscina's pattern): every option is checked on its own with an
// error naming it, then defaults are filled in, so the rest of the code never sees a partial object.

import { badOptionsError, show } from './errors.js';
import {
  kMaxByteLength,
  kMaxPartitions,
  kMaxSales,
  kPackedPartitionStride,
  kPaddedPartitionStride,
  totalInts,
} from './layout.js';

export interface StockCountersOptions {
  /** Number of sale slots (each sale the node serves occupies one slot). */
  sales: number;
  /** Number of partitions per slot: one per thread that takes stock (each uWS thread owns one). */
  partitions: number;
  /**
   * Give each partition its own 64-byte cache line (default true). false packs four partitions per line;
   * it exists to measure false sharing (bench/micro/false-sharing.ts), not for production.
   */
  cacheLinePadding?: boolean;
}

export interface FilledOptions {
  sales: number;
  partitions: number;
  partitionStride: number;
  byteLength: number;
}

function checkCount(name: string, value: unknown, max: number, hint: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw badOptionsError(`options.${name} must be an integer from 1 to ${max}, got ${show(value)}. ${hint}`);
  }
  return value;
}

export function fillOptions(options: unknown): FilledOptions {
  if (typeof options !== 'object' || options === null) {
    throw badOptionsError(
      `options must be an object like { sales: 16, partitions: 4 }, got ${show(options)}.`,
    );
  }
  const o = options as Partial<Record<keyof StockCountersOptions, unknown>>;
  const sales = checkCount('sales', o.sales, kMaxSales, 'Pass the number of sale slots to reserve.');
  const partitions = checkCount(
    'partitions',
    o.partitions,
    kMaxPartitions,
    'Pass the number of threads that take stock (one partition each).',
  );
  if (o.cacheLinePadding !== undefined && typeof o.cacheLinePadding !== 'boolean') {
    throw badOptionsError(
      `options.cacheLinePadding must be true, false or left out, got ${show(o.cacheLinePadding)}.`,
    );
  }
  const partitionStride = o.cacheLinePadding === false ? kPackedPartitionStride : kPaddedPartitionStride;
  const byteLength = totalInts(sales, partitions, partitionStride) * Int32Array.BYTES_PER_ELEMENT;
  if (byteLength > kMaxByteLength) {
    throw badOptionsError(
      `options.sales x options.partitions (${sales} x ${partitions}) needs ${byteLength} bytes, more than ` +
        `the ${kMaxByteLength}-byte cap. Reserve fewer sale slots or fewer partitions.`,
    );
  }
  return { sales, partitions, partitionStride, byteLength };
}
