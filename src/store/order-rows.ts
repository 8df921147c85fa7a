/**
 * Orders as the store takes them, and the rules that merge them: a status never goes backwards.
 *
 * Redis calls a live order 'held'; the store calls it 'reserved' (the word of the lifecycle event). Ranks:
 * reserved (0) < paid | cancelled | expired (1). The three final states are final: one never replaces
 * another. Timestamps (paid_at, ended_at) and the ticket are filled when a row carries them, never cleared.
 */
export type StoredStatus = 'reserved' | 'paid' | 'cancelled' | 'expired';
/** What callers may send: Redis's 'held' is taken as 'reserved'. */
export type OrderRowStatus = StoredStatus | 'held';

/** One order's state as an event reports it. Times are ms since the epoch. */
export interface OrderRow {
  orderId: string;
  saleId: string;
  /** '' for an anonymous buyer. */
  userId: string;
  status: OrderRowStatus;
  reservedAt: number;
  expiresAt: number;
  paidAt?: number;
  /** When the order became cancelled or expired. */
  endedAt?: number;
  /** The signed e-ticket (any JSON value). */
  ticket?: unknown;
  /** The key it was bought with (a buyer's Idempotency-Key or nginx's request key); never shown in a view. */
  idempotencyKey?: string;
  /** A train order's seats (table order_seats). */
  seats?: SeatRow[];
}

/** One seat of a train order: its index in the sale's catalogue, as printed, and the stations [from, to) by index. */
export interface SeatRow {
  index: number;
  coach: string;
  seat: string;
  from: number;
  to: number;
}

/** The same shape as src/sale/types.ts OrderView (the store sits below src/sale and cannot import it). */
export interface StoredOrderView {
  id: string;
  sale: string;
  user: string;
  status: 'held' | 'paid' | 'cancelled' | 'expired';
  expiresAt: number;
  createdAt?: number;
  paidAt?: number;
}

/** A sale's row as `sale restore` reads it (times in ms, 0 = none; idKey null for a legacy sale). */
export interface StoredSale {
  id: string;
  total: number;
  perUserLimit: number;
  holdSeconds: number;
  anonymous: boolean;
  opensAt: number;
  closesAt: number;
  idKey: string | null;
}

/** One order as `sale restore` rebuilds it into Redis. */
export interface RestorableOrder {
  orderId: string;
  user: string;
  status: 'held' | 'paid' | 'cancelled' | 'expired';
  reservedAt: number;
  expiresAt: number;
  paidAt?: number;
  idempotencyKey?: string;
  checkedIn?: { at: number; gate: string };
}

/** Most rows one statement writes; upsertOrders splits longer lists. */
export const MAX_BATCH = 1000;

const STATUSES: ReadonlySet<string> = new Set(['reserved', 'paid', 'cancelled', 'expired']);

export function storedStatus(status: OrderRowStatus): StoredStatus {
  return status === 'held' ? 'reserved' : status;
}

export function rank(status: StoredStatus): number {
  return status === 'reserved' ? 0 : 1;
}

/** A row with its status normalised and every field checked; throws TypeError naming the bad field. */
export function normaliseRow(row: OrderRow): OrderRow & { status: StoredStatus } {
  const status = storedStatus(row.status);
  if (!STATUSES.has(status)) throw new TypeError(`order ${row.orderId}: status must be held, reserved, paid, cancelled or expired, got ${JSON.stringify(row.status)}`);
  for (const field of ['orderId', 'saleId'] as const) {
    if (typeof row[field] !== 'string' || row[field] === '') throw new TypeError(`order row: ${field} must be a non-empty string`);
  }
  if (typeof row.userId !== 'string') throw new TypeError(`order ${row.orderId}: userId must be a string ('' for anonymous)`);
  for (const field of ['reservedAt', 'expiresAt', 'paidAt', 'endedAt'] as const) {
    const value = row[field];
    if (value === undefined && (field === 'paidAt' || field === 'endedAt')) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`order ${row.orderId}: ${field} must be ms since the epoch, got ${String(value)}`);
  }
  return { ...row, status };
}

/**
 * One row per order id, in first-seen order: PostgreSQL refuses an ON CONFLICT statement that touches the
 * same row twice. The most advanced status wins (a later final state never replaces an earlier one, the
 * event order of the stream); a row of the kept status fills the fields the kept one lacks.
 */
export function dedupeRows(rows: readonly OrderRow[]): Array<OrderRow & { status: StoredStatus }> {
  const byId = new Map<string, OrderRow & { status: StoredStatus }>();
  for (const raw of rows) {
    const row = normaliseRow(raw);
    const kept = byId.get(row.orderId);
    if (kept === undefined) {
      byId.set(row.orderId, row);
    } else if (rank(row.status) > rank(kept.status)) {
      byId.set(row.orderId, fill(row, kept));
    } else if (row.status === kept.status) {
      byId.set(row.orderId, fill(kept, row));
    }
  }
  return [...byId.values()];
}

/** `into` with the optional fields it lacks taken from `from`. */
function fill<T extends OrderRow>(into: T, from: OrderRow): T {
  return {
    ...into,
    paidAt: into.paidAt ?? from.paidAt,
    endedAt: into.endedAt ?? from.endedAt,
    ticket: into.ticket ?? from.ticket,
    idempotencyKey: into.idempotencyKey ?? from.idempotencyKey,
  };
}

/** The merge both write paths end with (`incoming` is the alias of the new rows' source). */
export const MERGE_CLAUSE = `
  on conflict (order_id) do update set
    status = excluded.status,
    paid_at = coalesce(orders.paid_at, excluded.paid_at),
    ended_at = coalesce(orders.ended_at, excluded.ended_at),
    ticket = coalesce(orders.ticket, excluded.ticket),
    idempotency_key = coalesce(orders.idempotency_key, excluded.idempotency_key),
    updated_at = now()
  where (orders.status = 'reserved' and excluded.status <> 'reserved')
     or (orders.status = excluded.status and (
          (orders.paid_at is null and excluded.paid_at is not null)
       or (orders.ended_at is null and excluded.ended_at is not null)
       or (orders.ticket is null and excluded.ticket is not null)
       or (orders.idempotency_key is null and excluded.idempotency_key is not null)))
  returning order_id`;

export const ORDER_COLUMNS = 'order_id, sale_id, user_id, status, reserved_at, expires_at, paid_at, ended_at, ticket, idempotency_key';

/**
 * The multi-row upsert: every column is one array parameter, unnested into rows — one statement and ten
 * parameters whatever the batch size (a VALUES list would need 10 per row and a new plan per size).
 */
export const UPSERT_ORDERS_SQL = `
  insert into orders (${ORDER_COLUMNS})
  select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
                       $7::timestamptz[], $8::timestamptz[], $9::jsonb[], $10::text[])
  ${MERGE_CLAUSE}`;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

/** The ten column arrays of UPSERT_ORDERS_SQL. */
export function upsertParams(rows: ReadonlyArray<OrderRow & { status: StoredStatus }>): unknown[] {
  return [
    rows.map((r) => r.orderId),
    rows.map((r) => r.saleId),
    rows.map((r) => r.userId),
    rows.map((r) => r.status),
    rows.map((r) => iso(r.reservedAt)),
    rows.map((r) => iso(r.expiresAt)),
    rows.map((r) => iso(r.paidAt)),
    rows.map((r) => iso(r.endedAt)),
    rows.map((r) => json(r.ticket)),
    rows.map((r) => r.idempotencyKey ?? null),
  ];
}

/** One row as a CSV line for COPY ... (format csv): every value quoted, NULL as an empty unquoted field. */
export function csvLine(r: OrderRow & { status: StoredStatus }): string {
  const values = [r.orderId, r.saleId, r.userId, r.status, iso(r.reservedAt), iso(r.expiresAt), iso(r.paidAt), iso(r.endedAt), json(r.ticket), r.idempotencyKey ?? null];
  return values.map((v) => (v === null ? '' : `"${v.replace(/"/g, '""')}"`)).join(',') + '\n';
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
