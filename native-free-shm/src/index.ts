// Public surface of native-free-shm. The layout constants are exported for tools that inspect a buffer
// (and for the benchmarks); application code only needs StockCounters and the error class.

export { StockCounters, type StockSnapshot } from './stock-counters.js';
export type { StockCountersOptions } from './options.js';
export { StockCountersError, ErrorCodes, type ErrorCode } from './errors.js';
export * as layout from './layout.js';
