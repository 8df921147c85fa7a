import { Readable } from 'node:stream';
import { seatsToRecord, writeSeats } from './seat-store.js';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type { SaleConfig } from '../rules/sale-config.js';
import type { Pool, PoolClient } from './connection.js';
import {
  MAX_BATCH,
  MERGE_CLAUSE,
  ORDER_COLUMNS,
  UPSERT_ORDERS_SQL,
  chunks,
  csvLine,
  dedupeRows,
  upsertParams,
  type OrderRow,
  type RestorableOrder,
  type StoredOrderView,
  type StoredSale,
} from './order-rows.js';

export type { OrderRow, StoredOrderView } from './order-rows.js';

/** Orders of one sale by status ('held' = the store's 'reserved'). */
export interface StatusCounts {
  held: number;
  paid: number;
  cancelled: number;
  expired: number;
}

export interface UpsertResult {
  /** Rows sent after merging duplicates of one order id. */
  rows: number;
  /** Rows inserted or changed; re-applied or refused (backwards) rows do not count. */
  written: number;
}

const COPY_TABLE = 'orders_in';

/**
 * PostgreSQL as the system of record for orders (docs/architecture.md, "Lifecycle events and retention"). Every write
 * is an idempotent upsert keyed by order id in which a status never goes backwards, so the order worker may
 * re-send a batch after any failure (a timeout is "outcome unknown") and XACK only after it returned.
 * Every value goes as a parameter (or through COPY); no SQL is built from values.
 */
/** PostgreSQL's SQLSTATE for a relation that does not exist. */
const UNDEFINED_TABLE = '42P01';

export class OrderStore {
  constructor(private readonly pool: Pool) {}

  /**
   * One multi-row INSERT ... ON CONFLICT per MAX_BATCH rows (more rows: several statements in one
   * transaction). Duplicates of one order id in `rows` are merged first (the most advanced status wins).
   */
  async upsertOrders(rows: readonly OrderRow[]): Promise<UpsertResult> {
    const merged = dedupeRows(rows);
    if (merged.length === 0) return { rows: 0, written: 0 };
    const parts = chunks(merged, MAX_BATCH);
    if (parts.length === 1) {
      const result = await this.pool.query({ name: 'ts-upsert-orders', text: UPSERT_ORDERS_SQL, values: upsertParams(merged) });
      return { rows: merged.length, written: result.rowCount ?? 0 };
    }
    return this.inTransaction(async (client) => {
      let written = 0;
      for (const part of parts) {
        const result = await client.query({ name: 'ts-upsert-orders', text: UPSERT_ORDERS_SQL, values: upsertParams(part) });
        written += result.rowCount ?? 0;
      }
      return { rows: merged.length, written };
    });
  }

  /**
   * The same merge fed by COPY: the rows stream into a session temp table (cleared at commit), then one
   * INSERT ... SELECT ... ON CONFLICT moves them over, all in one transaction.
   */
  async upsertOrdersCopy(rows: readonly OrderRow[]): Promise<UpsertResult> {
    const merged = dedupeRows(rows);
    if (merged.length === 0) return { rows: 0, written: 0 };
    return this.inTransaction(async (client) => {
      await client.query(
        `create temp table if not exists ${COPY_TABLE} (order_id text, sale_id text, user_id text, status text, reserved_at timestamptz, ` +
          'expires_at timestamptz, paid_at timestamptz, ended_at timestamptz, ticket jsonb, idempotency_key text) on commit delete rows',
      );
      const copy = client.query(copyStreams.from(`copy ${COPY_TABLE} (${ORDER_COLUMNS}) from stdin (format csv)`));
      await pipeline(Readable.from(merged.map(csvLine)), copy);
      const result = await client.query(`insert into orders (${ORDER_COLUMNS}) select ${ORDER_COLUMNS} from ${COPY_TABLE} ${MERGE_CLAUSE}`);
      return { rows: merged.length, written: result.rowCount ?? 0 };
    });
  }

  /** Whether any seat of the sale is recorded (a train sale's orders were carried here). */
  async hasSeats(saleId: string): Promise<boolean> {
    const { rows } = await this.pool.query('select 1 from order_seats where sale_id = $1 limit 1', [saleId]);
    return rows.length > 0;
  }

  /** A batch's train seats: new ones inserted, an ended order's freed (src/store/seat-store.ts), in one transaction. */
  async recordSeats(rows: readonly OrderRow[]): Promise<number> {
    const work = seatsToRecord(rows);
    if (work.seats.length === 0 && work.ended.length === 0) return 0;
    return this.inTransaction((client) => writeSeats(client, work));
  }

  /**
   * A gate's check-ins (lua/check-in-4.lua, carried by the order worker from the `ev checkedin` entries): filled
   * once, never changed — the first scan stands, as in Redis. Orders the store does not have yet are skipped (the
   * worker upserts an order's row before its check-in, in the same batch); returns the rows that changed.
   */
  async recordCheckIns(checkIns: ReadonlyArray<{ orderId: string; checkedInAt: number; gate: string }>): Promise<number> {
    if (checkIns.length === 0) return 0;
    const result = await this.pool.query({
      name: 'ts-record-check-ins',
      text: `update orders o set checked_in_at = c.at, checked_in_gate = c.gate, updated_at = now()
             from unnest($1::text[], $2::timestamptz[], $3::text[]) as c(order_id, at, gate)
             where o.order_id = c.order_id and o.checked_in_at is null`,
      values: [checkIns.map((c) => c.orderId), checkIns.map((c) => new Date(c.checkedInAt).toISOString()), checkIns.map((c) => c.gate)],
    });
    return result.rowCount ?? 0;
  }

  /** The order as GET /orders/{id} shows it (src/sale/types.ts OrderView), or null. */
  async getOrder(orderId: string): Promise<StoredOrderView | null> {
    const { rows } = await this.pool.query<{ order_id: string; sale_id: string; user_id: string; status: string; reserved_at: Date; expires_at: Date; paid_at: Date | null }>(
      'select order_id, sale_id, user_id, status, reserved_at, expires_at, paid_at from orders where order_id = $1',
      [orderId],
    );
    const r = rows[0];
    if (r === undefined) return null;
    const view: StoredOrderView = {
      id: r.order_id,
      sale: r.sale_id,
      user: r.user_id,
      status: r.status === 'reserved' ? 'held' : (r.status as StoredOrderView['status']),
      expiresAt: r.expires_at.getTime(),
      createdAt: r.reserved_at.getTime(),
    };
    if (r.paid_at !== null) view.paidAt = r.paid_at.getTime();
    return view;
  }

  async countByStatus(saleId: string): Promise<StatusCounts> {
    const { rows } = await this.pool.query<{ status: string; n: string }>(
      'select status, count(*) as n from orders where sale_id = $1 group by status',
      [saleId],
    );
    const counts: StatusCounts = { held: 0, paid: 0, cancelled: 0, expired: 0 };
    for (const r of rows) counts[r.status === 'reserved' ? 'held' : (r.status as keyof StatusCounts)] = Number(r.n);
    return counts;
  }

  /** Order ids of a sale in id order after `afterId` ('' = from the start): a page of the audit cross-check. */
  async orderIds(saleId: string, afterId: string, limit: number): Promise<string[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError(`orderIds: limit must be 1..10000, got ${limit}`);
    const { rows } = await this.pool.query<{ order_id: string }>(
      'select order_id from orders where sale_id = $1 and order_id > $2 order by order_id limit $3',
      [saleId, afterId, limit],
    );
    return rows.map((r) => r.order_id);
  }

  /** Orders of a sale with their status ('held' = 'reserved') in id order after `afterId`: the audit's per-order pages. */
  async orderStatuses(saleId: string, afterId: string, limit: number): Promise<Array<{ orderId: string; status: keyof StatusCounts }>> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError(`orderStatuses: limit must be 1..10000, got ${limit}`);
    const { rows } = await this.pool.query<{ order_id: string; status: string }>(
      'select order_id, status from orders where sale_id = $1 and order_id > $2 order by order_id limit $3',
      [saleId, afterId, limit],
    );
    return rows.map((r) => ({ orderId: r.order_id, status: r.status === 'reserved' ? 'held' : (r.status as keyof StatusCounts) }));
  }

  /**
   * The sale as created (later changes — stock added, a close — overwrite it), with its order-id key. The key
   * is written once and never replaced: it is what the sale's stored order ids were made with.
   */
  async upsertSale(config: SaleConfig, idKey: string | null = null): Promise<void> {
    const time = (ms: number | undefined) => (ms === undefined || ms === 0 ? null : new Date(ms).toISOString());
    await this.pool.query(
      `insert into sales (sale_id, total, per_user_limit, hold_seconds, anonymous, opens_at, closes_at, id_key)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (sale_id) do update set total = excluded.total, per_user_limit = excluded.per_user_limit,
         hold_seconds = excluded.hold_seconds, anonymous = excluded.anonymous, opens_at = excluded.opens_at, closes_at = excluded.closes_at,
         id_key = coalesce(sales.id_key, excluded.id_key)`,
      [config.id, config.total, config.perUserLimit, config.holdSeconds, config.anonymous, time(config.opensAt), time(config.closesAt), idKey],
    );
  }

  /** The sale as stored (its settings as last synced, and its order-id key), or null: what `sale restore` rebuilds from. */
  async storedSale(saleId: string): Promise<StoredSale | null> {
    const { rows } = await this.pool.query<{ total: number; per_user_limit: number; hold_seconds: number; anonymous: boolean; opens_at: Date | null; closes_at: Date | null; id_key: string | null }>(
      'select total, per_user_limit, hold_seconds, anonymous, opens_at, closes_at, id_key from sales where sale_id = $1',
      [saleId],
    );
    const r = rows[0];
    if (r === undefined) return null;
    return {
      id: saleId, total: r.total, perUserLimit: r.per_user_limit, holdSeconds: r.hold_seconds, anonymous: r.anonymous,
      opensAt: r.opens_at?.getTime() ?? 0, closesAt: r.closes_at?.getTime() ?? 0, idKey: r.id_key,
    };
  }

  /** Every order of a sale with what a restore needs, in id order after `afterId` ('' = from the start). */
  async restorableOrders(saleId: string, afterId: string, limit: number): Promise<RestorableOrder[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError(`restorableOrders: limit must be 1..10000, got ${limit}`);
    const { rows } = await this.pool.query<{
      order_id: string; user_id: string; status: string; reserved_at: Date; expires_at: Date; paid_at: Date | null; idempotency_key: string | null;
      checked_in_at: Date | null; checked_in_gate: string | null;
    }>(
      `select order_id, user_id, status, reserved_at, expires_at, paid_at, idempotency_key, checked_in_at, checked_in_gate
       from orders where sale_id = $1 and order_id > $2 order by order_id limit $3`,
      [saleId, afterId, limit],
    );
    return rows.map((r) => ({
      orderId: r.order_id,
      user: r.user_id,
      status: r.status === 'reserved' ? 'held' : (r.status as RestorableOrder['status']),
      reservedAt: r.reserved_at.getTime(),
      expiresAt: r.expires_at.getTime(),
      ...(r.paid_at !== null ? { paidAt: r.paid_at.getTime() } : {}),
      ...(r.idempotency_key !== null ? { idempotencyKey: r.idempotency_key } : {}),
      ...(r.checked_in_at !== null ? { checkedIn: { at: r.checked_in_at.getTime(), gate: r.checked_in_gate ?? '' } } : {}),
    }));
  }

  /** Whether the store knows the sale (a sales row): a sale it knows is restored, never created afresh. */
  async hasSale(saleId: string): Promise<boolean> {
    const { rows } = await this.pool.query('select 1 from sales where sale_id = $1', [saleId]);
    return rows.length > 0;
  }

  /** Every sale the store knows, in id order. */
  async saleIds(): Promise<string[]> {
    const { rows } = await this.pool.query<{ sale_id: string }>('select sale_id from sales order by sale_id');
    return rows.map((r) => r.sale_id);
  }

  /** Every sale with its order-id key (null: a legacy sale, or a row an older worker wrote): a node's sales directory. */
  async saleIdKeys(): Promise<Map<string, string | null>> {
    try {
      const { rows } = await this.pool.query<{ sale_id: string; id_key: string | null }>({ name: 'ts-sale-id-keys', text: 'select sale_id, id_key from sales' });
      return new Map(rows.map((r) => [r.sale_id, r.id_key]));
    } catch (err) {
      // No sales table yet (nothing migrated this database: no worker, no `up` has run on it): it knows no sale.
      if ((err as { code?: string }).code === UNDEFINED_TABLE) return new Map();
      throw err;
    }
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch((e: unknown) => (broken = e as Error));
      throw err;
    } finally {
      // A client whose rollback failed (connection gone) is destroyed, not returned to the pool.
      client.release(broken);
    }
  }
}
