import type { Timers } from '../../src/sale/timers.js';

interface Timer {
  at: number;
  fn: () => void;
  /** Set order: timers due at the same moment fire in the order they were set, as Node's do. */
  seq: number;
}

/**
 * A clock a test moves by hand: `now` and the Timers of src/sale/timers.ts. Nothing fires until `advance` (or
 * `advanceTo`) passes a timer's moment, so a test sees what a part did just before its timer and at it, without
 * sleeping — and `pending` tells whether a part still holds a timer at all.
 */
export class ManualClock implements Timers {
  private timers = new Set<Timer>();
  private seq = 0;

  constructor(private time = 0) {}

  /** The clock's time, for the parts that take `now: () => number`. */
  readonly now = (): number => this.time;

  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const timer: Timer = { at: this.time + Math.max(1, ms), fn, seq: this.seq++ };
    this.timers.add(timer);
    return timer;
  };

  readonly clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as Timer);
  };

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** The delays (from now) of the timers pending, soonest first. */
  get dueIn(): number[] {
    return [...this.timers].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /** Moves the clock `ms` on, firing every timer that falls due on the way (also those set by a timer that fired). */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers) if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (next === undefined) break;
      this.timers.delete(next);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = Math.max(this.time, target);
  }
}
