// The order store against a real PostgreSQL: migrations applied once however many processes start at once,
// a status that never goes backwards, COPY and multi-row writing the same table, and a pool that survives a
// kill -9 of the server.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool, type Pool } from '../../src/store/connection.js';
import { MIGRATIONS, MigrationError, migrate } from '../../src/store/migrations.js';
import { OrderStore, type OrderRow } from '../../src/store/order-store.js';
import type { OrderView } from '../../src/sale/types.js';
import { PostgresServer } from '../helpers/postgres-server.js';

const T0 = Date.UTC(2030, 0, 1);

function order(id: string, status: OrderRow['status'], extra: Partial<OrderRow> = {}): OrderRow {
  return { orderId: `S1.${id}`, saleId: 'S1', userId: `u-${id}`, status, reservedAt: T0, expiresAt: T0 + 900_000, ...extra };
}

async function table(pool: Pool): Promise<unknown[]> {
  const { rows } = await pool.query(
    `select order_id, sale_id, user_id, status, reserved_at, expires_at, paid_at, ended_at, ticket from orders order by order_id`,
  );
  return rows;
}

t.test('order store', { timeout: 60_000 }, async (t) => {
  const server = await PostgresServer.start();
  t.teardown(() => server.stop());
  const pools: Pool[] = [];
  const pool = (): Pool => {
    const p = createPool(server.url, { connectionTimeoutMs: 2000 });
    pools.push(p);
    return p;
  };
  t.teardown(() => Promise.all(pools.map((p) => p.end().catch(() => {}))));
  const main = pool();
  const store = new OrderStore(main);

  t.test('three processes starting at once apply the migrations once; again is a no-op', async (t) => {
    const results = await Promise.all([pool(), pool(), pool()].map((p) => migrate(p)));
    const applied = results.flatMap((r) => r.applied);
    t.same(applied, MIGRATIONS.map((m) => m.version), 'each migration applied by exactly one caller');
    t.ok(results.every((r) => r.version === Math.max(...MIGRATIONS.map((m) => m.version))), 'all see the current version');
    const again = await migrate(main);
    t.same(again.applied, [], 'a second start applies nothing');
    const { rows } = await main.query<{ version: number }>('select version from schema_migrations order by version');
    t.same(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version).sort((a, b) => a - b), 'schema_migrations names each version once');
  });

  t.test('a database newer than the code is refused, untouched', async (t) => {
    const other = pool();
    await other.query(`insert into schema_migrations (version, name) values (99, 'from the future')`);
    t.teardown(() => main.query('delete from schema_migrations where version = 99'));
    await t.rejects(migrate(other), MigrationError);
    await t.rejects(migrate(other), /schema version 99, which this ticket-spike does not know/);
  });

  t.test('a status never goes backwards; re-applying is a no-op', async (t) => {
    t.same(await store.upsertOrders([order('a', 'held'), order('b', 'held'), order('c', 'held')]), { rows: 3, written: 3 });
    t.same(await store.upsertOrders([order('a', 'held')]), { rows: 1, written: 0 }, 'the same row again writes nothing');
    t.same(await store.upsertOrders([order('a', 'paid', { paidAt: T0 + 1000 })]), { rows: 1, written: 1 }, 'reserved -> paid');
    t.same(await store.upsertOrders([order('a', 'cancelled', { endedAt: T0 + 2000 })]), { rows: 1, written: 0 }, 'paid -> cancelled refused');
    t.same(await store.upsertOrders([order('a', 'reserved')]), { rows: 1, written: 0 }, 'reserved after paid refused');
    t.same(await store.upsertOrders([order('b', 'expired', { endedAt: T0 + 5000 })]), { rows: 1, written: 1 }, 'reserved -> expired');
    t.same(await store.upsertOrders([order('b', 'paid', { paidAt: T0 + 6000 })]), { rows: 1, written: 0 }, 'expired -> paid refused');
    t.same(await store.upsertOrders([order('a', 'paid', { ticket: { sig: 'x"y\\z' } })]), { rows: 1, written: 1 }, 'the ticket is filled in later');
    t.same(await store.upsertOrders([order('a', 'paid', { paidAt: T0 + 9999, ticket: { sig: 'other' } })]), { rows: 1, written: 0 }, 'and never replaced');
    const a = await store.getOrder('S1.a');
    t.same(a, { id: 'S1.a', sale: 'S1', user: 'u-a', status: 'paid', expiresAt: T0 + 900_000, createdAt: T0, paidAt: T0 + 1000 });
    const { rows } = await main.query<{ ticket: unknown; ended_at: Date | null }>(`select ticket, ended_at from orders where order_id = 'S1.a'`);
    t.same(rows[0], { ticket: { sig: 'x"y\\z' }, ended_at: null }, 'a refused row leaves no field behind');
    const b = await store.getOrder('S1.b');
    t.equal(b?.status, 'expired');
    t.equal(b?.paidAt, undefined);
    t.equal(await store.getOrder('S1.nope'), null);
    t.same(await store.countByStatus('S1'), { held: 1, paid: 1, cancelled: 0, expired: 1 });
  });

  t.test('duplicates of one order in one batch: the most advanced status wins', async (t) => {
    const batch = [
      order('d', 'held'),
      order('d', 'paid', { paidAt: T0 + 100 }),
      order('d', 'held'),
      order('d', 'cancelled', { endedAt: T0 + 200 }),
      order('d', 'paid', { ticket: 'T-d' }),
      order('e', 'cancelled', { endedAt: T0 + 300 }),
      order('e', 'held'),
    ];
    t.same(await store.upsertOrders(batch), { rows: 2, written: 2 }, 'one statement, no "affect row a second time" error');
    t.equal((await store.getOrder('S1.d'))?.status, 'paid', 'the first final state stays');
    const { rows } = await main.query<{ ticket: unknown; paid_at: Date }>(`select ticket, paid_at from orders where order_id = 'S1.d'`);
    t.same(rows[0], { ticket: 'T-d', paid_at: new Date(T0 + 100) }, 'fields of rows of the kept status are merged');
    t.equal((await store.getOrder('S1.e'))?.status, 'cancelled');
  });

  t.test('COPY writes the same table as the multi-row insert', async (t) => {
    const rows: OrderRow[] = [];
    for (let i = 0; i < 1500; i++) {
      const id = `m${String(i).padStart(5, '0')}`;
      rows.push(order(id, 'held', { userId: i % 7 === 0 ? '' : `u,"${i}"\n` }));
      if (i % 3 === 0) rows.push(order(id, 'paid', { paidAt: T0 + i, ticket: i % 2 === 0 ? { n: i, s: 'a,b"c' } : undefined }));
      if (i % 5 === 1) rows.push(order(id, 'expired', { endedAt: T0 + i }));
    }
    const copyPool = pool();
    await copyPool.query('create schema copied');
    await copyPool.query('create table copied.orders (like public.orders including all)');
    const copied = new OrderStore(createPool(`${server.url}?options=-c%20search_path%3Dcopied`));
    t.teardown(() => (copied as unknown as { pool: Pool }).pool.end());
    const multi = await store.upsertOrders(rows);
    const viaCopy = await copied.upsertOrdersCopy(rows);
    t.same(viaCopy, multi, 'same counts');
    t.equal(multi.rows, 1500);
    const again = await copied.upsertOrdersCopy(rows);
    t.equal(again.written, 0, 'COPY re-applied writes nothing');
    const { rows: a } = await main.query(`select * from public.orders where order_id like 'S1.m%' order by order_id`);
    const { rows: b } = await main.query(`select * from copied.orders order by order_id`);
    const strip = (r: Record<string, unknown>[]) => r.map(({ updated_at: _, ...rest }) => rest);
    t.same(strip(b), strip(a), 'row for row the same');
    t.ok(a.length === 1500 && a.some((r) => r.user_id === ''), 'anonymous buyers kept as empty strings, not NULL');
  });

  t.test('orderIds pages through a sale in id order', async (t) => {
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const page = await store.orderIds('S1', after, 400);
      if (page.length === 0) break;
      seen.push(...page);
      after = page[page.length - 1]!;
    }
    const { rows } = await main.query<{ n: string }>(`select count(*) as n from orders where sale_id = 'S1'`);
    t.equal(seen.length, Number(rows[0].n), 'every order once');
    t.same(seen, [...seen].sort(), 'in order');
    t.same(await store.orderIds('other', '', 10), []);
  });

  t.test('upsertSale stores and updates a sale', async (t) => {
    await store.upsertSale({ id: 'S1', total: 10, perUserLimit: 1, holdSeconds: 900, anonymous: false, opensAt: T0 });
    await store.upsertSale({ id: 'S1', total: 12, perUserLimit: 1, holdSeconds: 900, anonymous: false, opensAt: T0 });
    const { rows } = await main.query(`select sale_id, total, opens_at, closes_at from sales`);
    t.same(rows, [{ sale_id: 'S1', total: 12, opens_at: new Date(T0), closes_at: null }]);
  });

  t.test("a sale's order-id key: written once, never replaced; saleIdKeys reads every sale's", async (t) => {
    const sale = { id: 'SK', total: 10, perUserLimit: 1, holdSeconds: 900, anonymous: false };
    const [k1, k2] = ['a'.repeat(32), 'b'.repeat(32)];
    t.equal((await store.saleIdKeys()).get('SK'), undefined, 'no such sale: absent');
    await store.upsertSale(sale);
    t.equal((await store.saleIdKeys()).get('SK'), null, 'a row without a key (legacy, or an older worker wrote it)');
    await store.upsertSale(sale, k1);
    t.equal((await store.saleIdKeys()).get('SK'), k1, 'a later write fills it');
    await store.upsertSale({ ...sale, total: 11 }, k2);
    await store.upsertSale({ ...sale, total: 12 });
    t.equal((await store.saleIdKeys()).get('SK'), k1, 'and it stays: the stored ids were made with it');
    t.equal((await store.saleIdKeys()).get('S1'), null, 'every sale is listed');
    await t.rejects(store.upsertSale(sale, 'NOT-HEX'), /check constraint/, 'the column holds keys only');
    await main.query(`delete from sales where sale_id = 'SK'`);
  });

  t.test('getOrder has the shape of OrderView', async (t) => {
    const view: OrderView | null = await store.getOrder('S1.a');
    t.ok(view);
  });

  t.test('kill -9 of PostgreSQL and a restart: the same pool works again', async (t) => {
    t.equal((await main.query('select 1 as one')).rows[0].one, 1, 'pool connected before');
    await server.kill('SIGKILL');
    await t.rejects(store.upsertOrders([order('k', 'held')]), 'a write while it is down fails (the caller retries)');
    await server.restart();
    let written: number | undefined;
    const deadline = Date.now() + 10_000;
    while (written === undefined && Date.now() < deadline) {
      try {
        written = (await store.upsertOrders([order('k', 'held')])).written;
      } catch {
        await sleep(100);
      }
    }
    t.equal(written, 1, 'the store reconnected and wrote');
    t.equal((await store.getOrder('S1.k'))?.status, 'held');
    t.ok(((await table(main))).length > 1500, 'the data survived (fsync on)');
  });
});
