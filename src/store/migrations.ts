import type { Pool } from './connection.js';

/**
 * The schema, as an ordered list of migrations in TypeScript (.sql files would not reach dist/ through tsc).
 * A migration is never edited once released: a change is a new entry with the next version.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sales and orders',
    sql: `
      create table sales (
        sale_id text primary key,
        total int not null,
        per_user_limit int not null,
        hold_seconds int not null,
        anonymous boolean not null,
        opens_at timestamptz,
        closes_at timestamptz,
        created_at timestamptz not null default now()
      );
      create table orders (
        order_id text primary key,
        sale_id text not null,
        user_id text not null,
        status text not null check (status in ('reserved', 'paid', 'cancelled', 'expired')),
        reserved_at timestamptz not null,
        expires_at timestamptz not null,
        paid_at timestamptz,
        ended_at timestamptz,
        ticket jsonb,
        updated_at timestamptz not null default now()
      );
      create index orders_sale_status on orders (sale_id, status);
      create index orders_sale_order on orders (sale_id, order_id);
    `,
  },
  {
    version: 2,
    // The key of the tag in the sale's order ids (src/sale/ids.ts), so a node can tell a made-up id of a sale
    // that Redis no longer has from a real one without an order query (src/sale/order-lookup.ts). null: a
    // legacy sale (made before order ids carried a tag), or a row no worker has rewritten since.
    name: 'sales.id_key',
    sql: `
      alter table sales add column id_key text check (id_key ~ '^[0-9a-f]{32}$');
    `,
  },
  {
    version: 3,
    name: 'ticket check-ins',
    sql: `
      alter table orders add column checked_in_at timestamptz, add column checked_in_gate text;
    `,
  },
  {
    version: 4,
    name: 'orders.idempotency_key',
    // The key the order was bought with (the buyer's Idempotency-Key, or nginx's request key): what a sale restored
    // from PostgreSQL needs to answer a buyer's retry with the same order (ticket-spike sale restore).
    sql: `
      alter table orders add column idempotency_key text;
    `,
  },
  {
    version: 5,
    name: 'order_seats',
    // A train order's seats (src/store/seat-store.ts): one row per seat with its segment range [from, to), live
    // while the order is held or paid. The backstop under Redis's seat book: no two live seats of a sale share a
    // seat on overlapping ranges (int4range is half-open, so [0,2) and [2,5) of one seat both stand). Deferred to
    // the commit, so one transaction may free a cancelled order's seat and give it to the next order.
    // btree_gist lets the equality columns join the range in one GiST index; it is a trusted extension
    // (PostgreSQL 13+), so the database's owner may create it.
    sql: `
      create extension if not exists btree_gist;
      create table order_seats (
        order_id text not null,
        sale_id text not null,
        seat_index int not null check (seat_index >= 0),
        coach text not null,
        seat text not null,
        from_station int not null check (from_station >= 0),
        to_station int not null check (to_station > from_station),
        live boolean not null default true,
        primary key (order_id, seat_index),
        constraint order_seats_no_overlap exclude using gist (sale_id with =, seat_index with =, int4range(from_station, to_station) with &&)
          where (live) deferrable initially deferred
      );
      create index order_seats_sale on order_seats (sale_id, seat_index);
    `,
  },
];

/** The key of the migration lock: any fixed 64-bit number, the same in every process ("tspike"). */
export const MIGRATION_LOCK_KEY = 0x7473_7069_6b65n;

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export interface MigrateResult {
  /** Versions this call applied (empty when the schema was current). */
  applied: number[];
  /** The schema version now. */
  version: number;
}

/**
 * Brings the schema up to date: one transaction under a transaction-level advisory lock, so several
 * processes starting at once apply each migration exactly once (the others wait, then find nothing to do).
 * A database that has a version this code does not know (a newer release ran) is refused, untouched.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    await client.query(
      'create table if not exists schema_migrations (version int primary key, name text not null, applied_at timestamptz not null default now())',
    );
    const { rows } = await client.query<{ version: number }>('select version from schema_migrations order by version');
    const known = new Set(migrations.map((m) => m.version));
    const unknown = rows.map((r) => r.version).filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new MigrationError(
        `the database has schema version ${unknown.join(', ')}, which this ticket-spike does not know (it knows up to ${Math.max(0, ...known)}): ` +
          'a newer release migrated it — run that release, or point DATABASE_URL at another database',
      );
    }
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('commit');
    return { applied, version: Math.max(0, ...done, ...applied) };
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
