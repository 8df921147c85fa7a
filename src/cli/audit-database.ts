import { crossCheckStore, type DatabaseCheck } from '../sale/audit-store.js';
import type { SaleEngine } from '../sale/engine.js';
import type { AuditReport, SaleStatus } from '../sale/types.js';
import { createPool, databaseReady, redactUrl } from '../store/connection.js';
import { OrderStore } from '../store/order-store.js';

export interface DatabaseOutcome {
  check: DatabaseCheck;
  /** PostgreSQL did not answer: the cross-check could not be done (exit 3 unless the Redis audit failed). */
  unreachable: boolean;
}

/** The cross-check against PostgreSQL at `url` (src/sale/audit-store.ts), with its own short-lived pool. */
export async function auditDatabase(engine: SaleEngine, url: string, report: AuditReport, before: SaleStatus | null): Promise<DatabaseOutcome> {
  const unreachable = (message: string): DatabaseOutcome => ({
    check: { compared: false, rows: 0, mismatches: 0, problems: [], notes: [`PostgreSQL at ${redactUrl(url)} could not be compared: ${message.split('\n')[0]}`] },
    unreachable: true,
  });
  // Asked first, so a database that is down is reported even when the worker is behind (no comparison anyway).
  const ready = await databaseReady(url, 3000);
  if (ready !== true) return unreachable(ready);
  const pool = createPool(url, { max: 1, connectionTimeoutMs: 3000, name: 'ticket-spike-audit' });
  try {
    return { check: await crossCheckStore(engine, new OrderStore(pool), report, before), unreachable: false };
  } catch (err) {
    return unreachable((err as Error).message);
  } finally {
    await pool.end().catch(() => {});
  }
}
