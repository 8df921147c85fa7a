/**
 * The timer functions of the parts that wait (the batcher's window and deadline, the open flags' edges), so a
 * test can hand in a clock it advances by hand (test/helpers/manual-clock.ts) and see what happens before and at
 * a timer's moment without sleeping. The handle is whatever `setTimeout` returned, given back to `clearTimeout`.
 */
export interface Timers {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

/** Node's own timers. */
export const NODE_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

/** Node's timers, unref'd: a timer set through these never keeps the process alive (the open flags' edges). */
export const BACKGROUND_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: NODE_TIMERS.clearTimeout,
};
