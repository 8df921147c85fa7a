import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Requests this thread has accepted and not answered yet. Every Reply counts from its creation until it is
 * sent or its client goes away, so shutdown can wait until nobody it accepted is still waiting.
 */
export class OpenReplies {
  private count = 0;
  /** Bumped by every accepted request: shutdown tells a quiet moment from a busy one without reading a clock. */
  private accepted = 0;
  private idleWaiters: Array<() => void> = [];

  get size(): number {
    return this.count;
  }

  opened(): void {
    this.count++;
    this.accepted++;
  }

  closed(): void {
    this.count--;
    if (this.count === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  whenIdle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Resolves once no request was open and none arrived for `quietMs`. While a node drains, every answer says
   * Connection: close, so each keep-alive connection brings at most one more request; closing the
   * connections only after a quiet spell keeps that last request from meeting a socket closed under it.
   */
  async whenQuiet(quietMs: number): Promise<void> {
    for (;;) {
      await this.whenIdle();
      const seen = this.accepted;
      await sleep(quietMs);
      if (this.count === 0 && this.accepted === seen) return;
    }
  }
}
