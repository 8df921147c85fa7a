/**
 * Restart delays for a crashed child: 100 ms, doubling up to 5 s; a child that stayed up for a minute
 * is considered healthy again and its next crash starts over at 100 ms.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5000, resetAfterMs: 60_000 };

export class Backoff {
  private next: number;
  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {
    if (!(options.initialMs > 0)) throw new RangeError('Backoff: initialMs must be > 0');
    if (!(options.maxMs >= options.initialMs)) throw new RangeError('Backoff: maxMs must be >= initialMs');
    if (!(options.resetAfterMs > 0)) throw new RangeError('Backoff: resetAfterMs must be > 0');
    this.next = options.initialMs;
  }

  /** The delay before restarting a child that ran for `uptimeMs` before it died. */
  delayAfter(uptimeMs: number): number {
    if (uptimeMs >= this.options.resetAfterMs) this.next = this.options.initialMs;
    const delay = this.next;
    this.next = Math.min(this.next * 2, this.options.maxMs);
    return delay;
  }
}
