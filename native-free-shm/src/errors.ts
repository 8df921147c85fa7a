// One error class with a stable `code` (undici's lib/core/errors.js idea): callers branch on the code,
// people read the message, which names the argument, the value it got and what to change.
// Every check runs before the first write, so a thrown error means nothing in the buffer changed.

export const ErrorCodes = {
  /** create()/byteLength() options are missing, not integers, or out of range. */
  BAD_OPTIONS: 'ERR_SHM_BAD_OPTIONS',
  /** attach() got something that is not a buffer made by this layout version with these dimensions. */
  FOREIGN_BUFFER: 'ERR_SHM_FOREIGN_BUFFER',
  /** slot is not an integer in [0, sales - 1]. */
  SLOT_RANGE: 'ERR_SHM_SLOT_RANGE',
  /** partition is not an integer in [0, partitions - 1]. */
  PARTITION_RANGE: 'ERR_SHM_PARTITION_RANGE',
  /** give() amount below 1, or setQuota() total below 0. */
  NEGATIVE_AMOUNT: 'ERR_SHM_NEGATIVE_AMOUNT',
  /** amount or quota is not an integer (NaN, 1.5, '3', ...) or above 2^31 - 1. */
  AMOUNT_RANGE: 'ERR_SHM_AMOUNT_RANGE',
  /** give() would push a partition's units above 2^31 - 1 (the Int32 cap). */
  OVERFLOW: 'ERR_SHM_OVERFLOW',
  /** setOpen()/setSoldOut() flag is not a boolean. */
  BAD_FLAG: 'ERR_SHM_BAD_FLAG',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class StockCountersError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'StockCountersError';
    this.code = code;
  }
}

/** Renders a bad value so that 1, '1', 1.5, NaN, undefined and objects are told apart in messages. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value === 'bigint' ? `${value}n` : String(value)}`;
  }
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return 'a function';
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  if (typeof ctor?.name !== 'string' || ctor.name === '') return 'an object';
  return `${/^[AEIOU]/.test(ctor.name) ? 'an' : 'a'} ${ctor.name}`;
}

// The throwing helpers live apart from the hot methods so those stay small enough for V8 to inline;
// they are only called on the cold path.

export function slotRangeError(slot: unknown, sales: number): StockCountersError {
  return new StockCountersError(
    ErrorCodes.SLOT_RANGE,
    `slot must be an integer from 0 to ${sales - 1} (these counters were created with sales: ${sales}), ` +
      `got ${show(slot)}. Pass a slot index below sales, or create the counters with more sales.`,
  );
}

export function partitionRangeError(partition: unknown, partitions: number): StockCountersError {
  return new StockCountersError(
    ErrorCodes.PARTITION_RANGE,
    `partition must be an integer from 0 to ${partitions - 1} (these counters were created with ` +
      `partitions: ${partitions}), got ${show(partition)}. Pass the calling thread's partition index, ` +
      `or create the counters with one partition per thread.`,
  );
}

export function amountError(name: string, value: unknown, min: number, max: number): StockCountersError {
  const belowMin = typeof value === 'number' && Number.isInteger(value) && value < min;
  return new StockCountersError(
    belowMin ? ErrorCodes.NEGATIVE_AMOUNT : ErrorCodes.AMOUNT_RANGE,
    `${name} must be an integer from ${min} to ${max} (counters are Int32), got ${show(value)}. ` +
      (belowMin
        ? min === 1
          ? `To take units use take(); give() only returns units.`
          : `Use 0 to leave a slot without stock.`
        : `Round it to a whole number of units within that range.`),
  );
}

export function overflowError(
  slot: number,
  partition: number,
  current: number,
  amount: number,
  max: number,
): StockCountersError {
  return new StockCountersError(
    ErrorCodes.OVERFLOW,
    `give(${slot}, ${partition}, ${amount}) would raise the partition's units from ${current} above the ` +
      `Int32 cap ${max}. Give back only units that were taken, or lower the quota with setQuota().`,
  );
}

export function flagError(name: string, value: unknown): StockCountersError {
  return new StockCountersError(
    ErrorCodes.BAD_FLAG,
    `${name} must be true or false, got ${show(value)}. Convert it with Boolean(...) if it is truthy/falsy.`,
  );
}

export function badOptionsError(message: string): StockCountersError {
  return new StockCountersError(ErrorCodes.BAD_OPTIONS, message);
}

export function foreignBufferError(reason: string): StockCountersError {
  return new StockCountersError(
    ErrorCodes.FOREIGN_BUFFER,
    `StockCounters.attach() refused the buffer: ${reason}. Pass the \`buffer\` of a StockCounters made ` +
      `by StockCounters.create() with the same version of native-free-shm.`,
  );
}
