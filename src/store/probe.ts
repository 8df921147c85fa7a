import { createPool, type Pool } from './connection.js';

/**
 * "Is PostgreSQL reachable?" for the live dashboard: one `select 1` on a pool of one connection, made on first
 * use and kept (idle for at most 10 s). Never two probes at once; `ok` is the last answer, and a probe still
 * unanswered after `timeoutMs` counts as unreachable.
 */
export class StoreProbe {
  private pool: Pool | null = null;
  private startedAt = 0;
  private inFlight = false;
  private last: boolean | null = null;

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 1000,
  ) {}

  /** Starts a probe unless one is on the way; returns what is known now (null before the first answer). */
  probe(now = Date.now()): boolean | null {
    if (this.inFlight) return now - this.startedAt > this.timeoutMs ? false : this.last;
    this.inFlight = true;
    this.startedAt = now;
    this.pool ??= createPool(this.url, { max: 1, connectionTimeoutMs: this.timeoutMs, statementTimeoutMs: this.timeoutMs, idleTimeoutMs: 10_000, name: 'ticket-spike-dashboard' });
    this.pool.query('select 1').then(
      () => this.settle(true),
      () => this.settle(false),
    );
    return this.last;
  }

  private settle(ok: boolean): void {
    this.inFlight = false;
    this.last = ok;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.end().catch(() => {});
  }
}
