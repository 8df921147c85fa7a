import type { Logger } from '../../log/logger.js';

/**
 * The internal causes of 5xx answers (Reply's onFault), logged — and never sent to the client. During an outage
 * every request fails the same way, so each code is logged at most once per `everyMs` with how many were not
 * logged since: the log says what happened without costing the node a line per request.
 */
export class FaultLog {
  private readonly last = new Map<string, { at: number; skipped: number }>();

  constructor(
    private readonly log: Logger,
    private readonly everyMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  fault(code: string, cause: unknown): void {
    const at = this.now();
    const seen = this.last.get(code);
    if (seen !== undefined && at - seen.at < this.everyMs) {
      seen.skipped++;
      return;
    }
    const skipped = seen?.skipped ?? 0;
    this.last.set(code, { at, skipped: 0 });
    const err = cause instanceof Error ? { message: cause.message, name: cause.name, stack: cause.stack } : { message: String(cause) };
    this.log.warn({ code, err, ...(skipped > 0 ? { notLoggedSince: skipped } : {}) }, 'answered 5xx');
  }
}
