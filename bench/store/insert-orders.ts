/**
 * Question: how fast do orders go into PostgreSQL (fsync on) when the order worker writes a batch as one
 * multi-row upsert (OrderStore.upsertOrders), via COPY into a temp table + the same merge
 * (OrderStore.upsertOrdersCopy), or one upsert statement per row (the naive way; here only, not in the store)?
 *
 * Run: node --import tsx --conditions=ticket-spike-source bench/store/insert-orders.ts [--orders 50000] [--batch 500]
 * Starts its own PostgresServer (test/helpers/postgres-server.ts); each mode writes ORDERS new orders
 * (reserved), in batches of BATCH, each batch its own transaction (one commit = one WAL fsync), into a freshly
 * truncated table, then the same orders again as 'paid' (the update path). Writes bench/results/store-insert.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PostgresServer } from '../../test/helpers/postgres-server.js';
import { createPool, type Pool } from '../../src/store/connection.js';
import { migrate } from '../../src/store/migrations.js';
import { OrderStore, type OrderRow } from '../../src/store/order-store.js';
import { UPSERT_ORDERS_SQL, normaliseRow, upsertParams } from '../../src/store/order-rows.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const ORDERS = arg('orders', 50_000);
const BATCH = arg('batch', 500);

type Mode = 'multi-row' | 'copy' | 'row-at-a-time';

/** One statement per row, each batch in one transaction: what a worker without batching would do. */
async function rowAtATime(pool: Pool, rows: OrderRow[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    for (const row of rows) await client.query({ name: 'bench-one', text: UPSERT_ORDERS_SQL, values: upsertParams([normaliseRow(row)]) });
    await client.query('commit');
  } finally {
    client.release();
  }
}

function makeOrders(prefix: string, status: OrderRow['status']): OrderRow[] {
  const now = Date.now();
  return Array.from({ length: ORDERS }, (_, i) => ({
    orderId: `bench.${prefix}${i.toString(36).padStart(6, '0')}Xk3mQ9vT`,
    saleId: 'bench',
    userId: `user-${i}`,
    status,
    reservedAt: now,
    expiresAt: now + 900_000,
    ...(status === 'paid' ? { paidAt: now + 1000 } : {}),
  }));
}

async function run(pool: Pool, store: OrderStore, mode: Mode, rows: OrderRow[]): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    if (mode === 'multi-row') await store.upsertOrders(batch);
    else if (mode === 'copy') await store.upsertOrdersCopy(batch);
    else await rowAtATime(pool, batch);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return Math.round(rows.length / seconds);
}

const server = await PostgresServer.start();
const pool = createPool(server.url, { max: 2 });
try {
  await migrate(pool);
  const store = new OrderStore(pool);
  const results: Array<{ mode: Mode; insertPerSecond: number; updatePerSecond: number }> = [];
  for (const mode of ['multi-row', 'copy', 'row-at-a-time'] as const) {
    await pool.query('truncate orders');
    await pool.query('checkpoint');
    const insertPerSecond = await run(pool, store, mode, makeOrders(mode[0], 'held'));
    const updatePerSecond = await run(pool, store, mode, makeOrders(mode[0], 'paid'));
    const { rows } = await pool.query<{ n: string }>(`select count(*) as n from orders where status = 'paid'`);
    if (Number(rows[0].n) !== ORDERS) throw new Error(`${mode}: expected ${ORDERS} paid orders, found ${rows[0].n}`);
    results.push({ mode, insertPerSecond, updatePerSecond });
    process.stdout.write(`${mode.padEnd(14)} insert ${String(insertPerSecond).padStart(7)} orders/s   reserved->paid ${String(updatePerSecond).padStart(7)} orders/s\n`);
  }
  const out = join(fileURLToPath(new URL('../results/', import.meta.url)), 'store-insert.json');
  mkdirSync(join(out, '..'), { recursive: true });
  const { rows: version } = await pool.query<{ server_version: string }>('show server_version');
  writeFileSync(
    out,
    JSON.stringify({ date: new Date().toISOString(), orders: ORDERS, batch: BATCH, fsync: 'on', postgres: version[0]?.server_version, cpus: cpus().length, loadavg: loadavg(), results }, null, 2) + '\n',
  );
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await pool.end();
  await server.stop();
}
