import { setTimeout as sleep } from 'node:timers/promises';
import { saleKeys } from '../redis/keys.js';
import { ORDER_GROUP, oldestNeeded, orderLag } from '../redis/order-stream.js';
import type { StatusCounts, StoredOrderView } from '../store/order-store.js';
import type { SaleEngine } from './engine.js';
import { decodeOrder } from './order-codec.js';
import type { AuditReport, OrderStatus, SaleStatus } from './types.js';

/** What the cross-check needs of the order store (src/store/order-store.ts OrderStore has it). */
export interface AuditedStore {
  countByStatus(saleId: string): Promise<StatusCounts>;
  orderStatuses(saleId: string, afterId: string, limit: number): Promise<Array<{ orderId: string; status: OrderStatus }>>;
  getOrder(orderId: string): Promise<StoredOrderView | null>;
}

export interface DatabaseCheck {
  /** False when the order worker was behind (or never ran): PostgreSQL was not compared, which is no failure. */
  compared: boolean;
  /** The sale's rows in PostgreSQL, as paged through. */
  rows: number;
  /** Orders whose status differs between Redis and PostgreSQL on a second read too. */
  mismatches: number;
  problems: string[];
  notes: string[];
}

export interface CrossCheckOptions {
  /** Rows per PostgreSQL page and per HMGET (default 1000). */
  pageSize?: number;
  /** How long to wait before reading a mismatching order again (default 300 ms). */
  recheckMs?: number;
}

/** Every write to a sale moves one of these (reserve: ordersMade; pay, cancel, expire: held; retire: retired). */
const fingerprint = (s: SaleStatus | null) =>
  s === null ? '' : [s.held, s.paid, s.ordersMade, s.retired.paid, s.retired.cancelled, s.retired.expired].join(',');

/**
 * `ticket-spike audit --database`: after the Redis audit, PostgreSQL against Redis (issue 11).
 *
 * Only when the order worker has caught up (the `orders` group has nothing pending or unread): otherwise
 * PostgreSQL is behind by design and the check is skipped with a note. Then
 * - per order: PostgreSQL's orders of the sale, in pages, each read in Redis (HMGET): an order still in Redis
 *   has the same status in both ('held' = stored 'reserved'; an overdue hold not swept yet is 'held' in both);
 *   an order not in Redis is a retired one.
 * - totals, only when the sale did not change from before the Redis audit to the end of this check (its counters,
 *   ordersMade and retired counters equal, the audit not `moving`, the worker still caught up): counted by
 *   status in PostgreSQL == the audit's counted figures (which include retired orders), and rows == orders in
 *   Redis + retired, with every order in Redis found among the rows: no order only in Redis. Duplicates cannot
 *   be: the order id is the table's primary key.
 * A live sale is a moving target: a mismatching order is read again (both sides) once after `recheckMs`; it is
 * a problem only if it still differs, and then not if Redis is ahead of a worker that is behind again.
 */
export async function crossCheckStore(
  engine: SaleEngine,
  store: AuditedStore,
  report: AuditReport,
  before: SaleStatus | null,
  options: CrossCheckOptions = {},
): Promise<DatabaseCheck> {
  const sale = report.sale;
  const pageSize = options.pageSize ?? 1000;
  const check: DatabaseCheck = { compared: false, rows: 0, mismatches: 0, problems: [], notes: [] };
  const behind = await workerBehind(engine, sale);
  if (behind !== null) {
    check.notes.push(`${behind}: PostgreSQL not compared`);
    return check;
  }
  check.compared = true;
  const ordersKey = saleKeys(sale).orders;
  const redisStatus = (id: string, enc: string | null) => (enc === null ? null : decodeOrder(id, enc).status);
  const differing: string[] = [];
  let inRedis = 0;
  for (let after = ''; ; ) {
    const page = await store.orderStatuses(sale, after, pageSize);
    if (page.length === 0) break;
    after = page[page.length - 1].orderId;
    check.rows += page.length;
    const encoded = await engine.redis.hmget(ordersKey, ...page.map((r) => r.orderId));
    page.forEach((row, i) => {
      const status = redisStatus(row.orderId, encoded[i] ?? null);
      if (status === null) return;
      inRedis++;
      if (status !== row.status) differing.push(row.orderId);
    });
  }
  const counts = await store.countByStatus(sale);
  const afterStatus = await engine.status(sale);
  const stillCaughtUp = (await workerBehind(engine, sale)) === null;

  if (differing.length > 0) await sleep(options.recheckMs ?? 300);
  for (const id of differing) {
    const [enc, stored] = [await engine.redis.hget(ordersKey, id), await store.getOrder(id)];
    const status = redisStatus(id, enc);
    if (status === null || stored === null || status === stored.status) continue; // retired meanwhile, or settled
    if (stored.status === 'held' && (await workerBehind(engine, sale)) !== null) {
      check.notes.push(`order ${id}: ${status} in Redis, still held in PostgreSQL while the order worker is behind again: not counted as a problem`);
      continue;
    }
    check.mismatches++;
    check.problems.push(`order ${id}: ${status} in Redis but ${stored.status} in PostgreSQL (read twice)`);
  }

  const quiet = !report.moving && before !== null && fingerprint(before) === fingerprint(afterStatus) && stillCaughtUp;
  if (!quiet) {
    check.notes.push('the sale changed during the audit or this check: PostgreSQL totals not compared (each order was); check again when it is quiet');
    return check;
  }
  const expected: StatusCounts = { held: report.countedHeld, paid: report.countedPaid, cancelled: report.cancelled, expired: report.expired };
  for (const status of ['held', 'paid', 'cancelled', 'expired'] as const) {
    if (counts[status] !== expected[status]) check.problems.push(`${counts[status]} ${status} orders in PostgreSQL, but the audit counted ${expected[status]} (Redis + retired)`);
  }
  if (check.rows !== report.orders + report.retired) {
    check.problems.push(`${check.rows} rows in PostgreSQL, but ${report.orders} orders are in Redis and ${report.retired} retired`);
  }
  if (inRedis !== report.orders) check.problems.push(`${report.orders - inRedis} orders in Redis have no row in PostgreSQL`);
  return check;
}

/** Null when the sale's order worker has acknowledged every stream entry, else why not. */
async function workerBehind(engine: SaleEngine, sale: string): Promise<string | null> {
  const [seconds, micros] = await engine.redis.time();
  const lag = await orderLag(engine.redis, sale, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
  if (!lag.group) return `no order worker has read sale ${sale} yet (no consumer group '${ORDER_GROUP}' on its stream)`;
  // Redis may not know the group's lag (null): then whether anything is left to read is asked directly.
  const unread = lag.unread ?? ((await oldestNeeded(engine.redis, sale)) === undefined ? 0 : 1);
  if (lag.pending === 0 && unread === 0) return null;
  return `order worker behind (${lag.pending} pending, ${lag.unread ?? 'some'} unread)`;
}
