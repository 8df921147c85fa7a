// Writing the header on create() and checking it on attach(): the only defence against a thread mapping
// a buffer that is not ours (or ours from another layout version), which would otherwise "work" and
// silently hand out units that do not exist.

import { foreignBufferError, show } from './errors.js';
import { fillOptions, type FilledOptions } from './options.js';
import {
  kByteLengthField,
  kHeaderInts,
  kLayoutVersion,
  kMagic,
  kMagicField,
  kPackedPartitionStride,
  kPaddedPartitionStride,
  kPartitionStrideField,
  kPartitionsField,
  kSalesField,
  kSlotStrideField,
  kVersionField,
  slotStride,
} from './layout.js';

export function writeHeader(i32: Int32Array, filled: FilledOptions): void {
  // Plain stores would do: the buffer is not shared yet, and handing it to another thread (postMessage)
  // goes through the runtime's own locks, which order these writes before the receiver's reads.
  // Atomics.store costs nothing here and keeps the rule "every access to the SAB is atomic" simple.
  Atomics.store(i32, kVersionField, kLayoutVersion);
  Atomics.store(i32, kSalesField, filled.sales);
  Atomics.store(i32, kPartitionsField, filled.partitions);
  Atomics.store(i32, kPartitionStrideField, filled.partitionStride);
  Atomics.store(i32, kSlotStrideField, slotStride(filled.partitions, filled.partitionStride));
  Atomics.store(i32, kByteLengthField, filled.byteLength);
  // Magic last: a reader that sees the magic (seq-cst) also sees every header field stored before it.
  Atomics.store(i32, kMagicField, kMagic);
}

export function readHeader(buffer: unknown): FilledOptions {
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw foreignBufferError(`expected a SharedArrayBuffer, got ${show(buffer)}`);
  }
  const headerBytes = kHeaderInts * Int32Array.BYTES_PER_ELEMENT;
  if (buffer.byteLength < headerBytes) {
    throw foreignBufferError(
      `it is ${buffer.byteLength} bytes long, shorter than the ${headerBytes}-byte header`,
    );
  }
  const i32 = new Int32Array(buffer, 0, kHeaderInts);
  const magic = Atomics.load(i32, kMagicField);
  if (magic !== kMagic) {
    throw foreignBufferError(
      `its magic number is 0x${(magic >>> 0).toString(16)}, expected 0x${kMagic.toString(16)} ` +
        `(it was not made by StockCounters.create)`,
    );
  }
  const version = Atomics.load(i32, kVersionField);
  if (version !== kLayoutVersion) {
    throw foreignBufferError(
      `its layout version is ${version}, this code reads layout version ${kLayoutVersion} ` +
        `(the threads run different versions of native-free-shm)`,
    );
  }
  const sales = Atomics.load(i32, kSalesField);
  const partitions = Atomics.load(i32, kPartitionsField);
  const partitionStride = Atomics.load(i32, kPartitionStrideField);
  if (partitionStride !== kPaddedPartitionStride && partitionStride !== kPackedPartitionStride) {
    throw foreignBufferError(`its partition stride is ${partitionStride}, not one this layout uses`);
  }
  let filled: FilledOptions;
  try {
    filled = fillOptions({
      sales,
      partitions,
      cacheLinePadding: partitionStride === kPaddedPartitionStride,
    });
  } catch (err) {
    throw foreignBufferError(`its header holds impossible dimensions: ${(err as Error).message}`);
  }
  const stride = Atomics.load(i32, kSlotStrideField);
  if (stride !== slotStride(partitions, partitionStride)) {
    throw foreignBufferError(
      `its slot stride is ${stride}, expected ${slotStride(partitions, partitionStride)} for ` +
        `${partitions} partitions`,
    );
  }
  const recorded = Atomics.load(i32, kByteLengthField);
  if (recorded !== filled.byteLength || buffer.byteLength !== filled.byteLength) {
    throw foreignBufferError(
      `it is ${buffer.byteLength} bytes long and its header records ${recorded}, but sales: ${sales} x ` +
        `partitions: ${partitions} needs exactly ${filled.byteLength}`,
    );
  }
  return filled;
}
