// Where every counter lives in the SharedArrayBuffer. Every thread that maps the buffer must agree on
// these numbers bit for bit, so they are constants here and nowhere else (piscina's src/symbols.ts idea),
// and the header carries the dimensions and strides so a thread can refuse a buffer laid out differently.
//
// All fields are Int32 and all indices below are Int32Array indices (byte offset / 4).
//
//   header           one cache line: magic, layout version, dimensions, strides, byte length
//   slot 0           control line: open, soldOut, seq, writers (read-mostly, touched by the reconciler)
//                    partition 0 line: available, taken, given   (written by partition 0's thread)
//                    partition 1 line: ...
//                    ...
//   slot 1           ...
//
// Why a cache line (64 bytes) per partition: each uWS thread hammers its own partition's `available`
// with compareExchange. If two partitions shared a line, every CAS by one thread would invalidate the
// line in the other core's cache (false sharing) even though they never touch the same integer. The
// cost of padding is memory only: 64 bytes x partitions x sales, e.g. 1,000 sales x 8 threads = 512 KiB.
// bench/micro/false-sharing.ts measures padded against packed. 64 bytes is the line size of x86-64 and
// most arm64 cores; some Intel parts prefetch line pairs (128 bytes), which this does not cover.

/** 'TSK1' read as a little-endian int32: an arbitrary number unlikely to start a foreign buffer. */
export const kMagic = 0x314b5354;
/** Bump whenever any constant below changes meaning, so old and new code refuse each other's buffers. */
export const kLayoutVersion = 1;

export const kCacheLineBytes = 64;
export const kIntsPerCacheLine = kCacheLineBytes / Int32Array.BYTES_PER_ELEMENT; // 16

// Header fields.
export const kMagicField = 0;
export const kVersionField = 1;
export const kSalesField = 2;
export const kPartitionsField = 3;
export const kPartitionStrideField = 4;
export const kSlotStrideField = 5;
export const kByteLengthField = 6;
/** The header fills one cache line so that slot 0 does not share a line with it. */
export const kHeaderInts = kIntsPerCacheLine;

// Per-slot control line (offsets from the slot's first int).
/** 1 when the sale accepts purchases. Written by the main thread, read by every request. */
export const kOpenField = 0;
/** 1 when Redis said the sale is sold out: requests are answered without touching stock or Redis. */
export const kSoldOutField = 1;
/** Incremented once by each finished setQuota, so snapshot() can tell that a quota replacement overlapped it. */
export const kSeqField = 2;
/** Number of setQuota calls in progress on this slot (normally 0 or 1; more only if several threads set quotas). */
export const kWritersField = 3;
export const kSlotControlInts = kIntsPerCacheLine;

// Per-partition line (offsets from the partition's first int).
/** Units this partition can hand out. Never negative: only compareExchange(cur, cur - 1) with cur > 0 lowers it. */
export const kAvailableField = 0;
/** Cumulative successful takes by the thread owning this partition (incl. steals), modulo 2^32. */
export const kTakenField = 1;
/** Cumulative units given back to this partition, modulo 2^32. */
export const kGivenField = 2;
/** Fields actually used per partition; the rest of a padded line is padding. */
export const kPartitionFields = 3;

/** Partition stride with cache-line padding (the default): one partition per 64-byte line. */
export const kPaddedPartitionStride = kIntsPerCacheLine;
/** Partition stride without padding (16 bytes, four partitions per line): only for measuring false sharing. */
export const kPackedPartitionStride = 4;

/** Int32 cap of every counter: a quota or a partition's available units can never exceed this. */
export const kMaxUnits = 0x7fffffff; // 2^31 - 1

// Dimension caps keep every index an int32 and the buffer a sane size; raise them deliberately if needed.
export const kMaxSales = 1 << 20;
export const kMaxPartitions = 1024;
export const kMaxByteLength = 1 << 30; // 1 GiB

export function slotStride(partitions: number, partitionStride: number): number {
  return kSlotControlInts + partitions * partitionStride;
}

export function totalInts(sales: number, partitions: number, partitionStride: number): number {
  return kHeaderInts + sales * slotStride(partitions, partitionStride);
}
