// `ticket-spike up` runs PostgreSQL, the order store: initdb once under var/postgres (as root: outside the 0700 var dir,
// linked from var/postgres), migrated at start, recorded in up.json, stopped on Ctrl-C, and found again with its data by
// the next `up` — which refuses, touching nothing, when the link was changed or removed or the cluster lost PG_VERSION.
import t from 'tap';
import { lstatSync, mkdtempSync, rmSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { outsideDataDir } from '../../src/launcher/postgres-data.js';
import { cmdlineMatches, procInfo } from '../../src/launcher/proc.js';
import { createPool } from '../../src/store/connection.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { OrderStore } from '../../src/store/order-store.js';
import { alive, removeVarDir, UpProcess } from '../helpers/up-process.js';

t.test('up runs PostgreSQL and keeps its data across runs', { timeout: 120_000 }, async (t) => {
  // Our own var dir: the helper would remove one it made when the first up stops.
  const varDir = mkdtempSync(join(tmpdir(), 'ts-up-pg-'));
  t.teardown(() => removeVarDir(varDir));
  const first = await UpProcess.start({ nodes: 1, varDir, args: ['--weights', '1', '--demo-total', '10'] });
  t.teardown(() => first.killAll());
  const s = first.state();
  const url = s.databaseUrl ?? '';
  t.match(url, /^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/, 'up.json has databaseUrl (with its password)');
  const asRoot = process.getuid?.() === 0;
  const dataDir = asRoot ? outsideDataDir(varDir) : join(varDir, 'postgres');
  t.equal(s.postgresDataDir, dataDir, asRoot ? 'as root the data lives outside the var dir' : 'the data lives under var/postgres');
  if (asRoot) t.equal(readlinkSync(join(varDir, 'postgres')), dataDir, 'var/postgres links to it');
  t.equal(statSync(varDir).mode & 0o777, 0o700, 'the var dir is 0700 (the postgres user needs nothing in it)');
  const password = readFileSync(join(first.varDir, 'postgres.password'), 'utf8').trim();
  t.ok(url.includes(encodeURIComponent(password)), 'the password is the one kept in var/postgres.password');
  t.ok(first.stdout.includes(`postgres ${url.replace(`:${encodeURIComponent(password)}@`, ':***@')}`), 'the summary prints the URL, its password masked');
  t.notOk(first.stdout.includes(password), '...never the password itself');
  t.equal(statSync(join(first.varDir, 'postgres.password')).mode & 0o777, 0o600, 'which only its owner reads');
  const pg = s.children.find((c) => c.role === 'postgres');
  const pgPid = pg?.pid ?? -1;
  t.ok(cmdlineMatches(procInfo(pgPid).cmdline, pg?.cmdlineHas ?? []), `the postmaster (pid ${pgPid}) is recorded with its cmdline (-D <data dir>)`);

  const wrong = createPool(url.replace(encodeURIComponent(password), 'wrong'), { connectionTimeoutMs: 2000 });
  await t.rejects(wrong.query('select 1'), /password authentication failed/, 'scram-sha-256: a wrong password is refused');
  await wrong.end();

  const pool = createPool(url);
  const { rows } = await pool.query<{ version: number }>('select version from schema_migrations order by version');
  t.same(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version).sort((a, b) => a - b), 'the migrations ran at start');
  await new OrderStore(pool).upsertOrders([{ orderId: 'demo.keep', saleId: 'demo', userId: 'u', status: 'held', reservedAt: 1, expiresAt: 2 }]);
  await pool.end();

  const exit = await first.stop('SIGINT');
  t.equal(exit.code, 0, 'Ctrl-C: exit 0');
  await sleep(100);
  t.same(alive([pgPid]), [], 'Ctrl-C stopped PostgreSQL');
  const pgLog = readFileSync(join(varDir, 'logs', 'postgres.log'), 'utf8');
  t.match(pgLog, /received fast shutdown request[\s\S]*database system is shut down/, 'with a fast shutdown (SIGINT), not a kill');

  // The data directory is never deleted nor made again by a plain up: each of these is refused, one line, nothing touched.
  const link = join(varDir, 'postgres');
  const before = snapshot(dataDir);
  t.ok(before.some((e) => e.startsWith('PG_VERSION ')), 'the cluster is there');
  const refused = async (what: string, message: RegExp, expected = before) => {
    const exit = await UpProcess.run(['--port', String(first.port), '--port-base', String(first.portBase), '--nodes', '1', '--weights', '1', '--var-dir', varDir, '--threads', '1']);
    t.equal(exit.code, 1, `${what}: up is refused`);
    t.match(exit.stderr, message, `${what}: the message says what to do`, { stderr: exit.stderr.slice(-1500) });
    t.notMatch(exit.stderr, /initdb: making|\n\s+at /, `${what}: no initdb, no stack trace`);
    t.same(snapshot(dataDir), expected, `${what}: the data directory is untouched`);
  };
  if (asRoot) {
    const elsewhere = mkdtempSync(join(tmpdir(), 'ts-up-pg-other-'));
    t.teardown(() => rmSync(elsewhere, { recursive: true, force: true }));
    unlinkSync(link);
    symlinkSync(elsewhere, link);
    await refused('a changed link', new RegExp(`ticket-spike up: ${link} points to ${elsewhere}, but this var dir's PostgreSQL cluster lives at ${dataDir}.*ln -sfn ${dataDir} ${link}`));
    t.same(readdirSync(elsewhere), [], 'and nothing was made where it points');
    unlinkSync(link);
    await refused('a missing link', new RegExp(`ticket-spike up: ${link} is missing, but ${dataDir} holds this var dir's PostgreSQL data; up never deletes or re-initialises it\\. To keep it, recreate the link: ln -s ${dataDir} ${link}`));
    t.notOk(exists(link), 'the refused up made no link either');
    symlinkSync(dataDir, link);
  }
  renameSync(join(dataDir, 'PG_VERSION'), join(varDir, 'PG_VERSION.aside'));
  await refused('no PG_VERSION', new RegExp(`ticket-spike up: ${dataDir} holds files but no PG_VERSION, so it is no PostgreSQL cluster up can start, and up deletes nothing there`), snapshot(dataDir));
  renameSync(join(varDir, 'PG_VERSION.aside'), join(dataDir, 'PG_VERSION'));

  const second = await UpProcess.start({ nodes: 1, varDir, args: ['--weights', '1'] });
  t.teardown(async () => {
    second.killAll();
  });
  const url2 = second.state().databaseUrl ?? '';
  t.ok(url2.includes(encodeURIComponent(password)), 'the second up reuses the cluster and its password');
  t.notOk(second.stderr.includes('initdb: making'), 'no second initdb');
  const pool2 = createPool(url2);
  t.equal((await new OrderStore(pool2).getOrder('demo.keep'))?.status, 'held', 'the order written in the first run is there');
  // up's order worker carries a purchase and its payment into PostgreSQL.
  const base = second.state().nginxUrl ?? '';
  const bought = (await (await fetch(`${base}/buy/ticket?user=pg-buyer`)).json()) as { code: number; data?: { orderId?: string } };
  t.equal(bought.code, 1, 'a purchase through nginx');
  const orderId = bought.data?.orderId ?? '';
  const paid = await fetch(`${base}/orders/${orderId}/pay`, { method: 'POST' });
  t.equal(paid.status, 200, 'and its payment');
  const ticket = ((await paid.json()) as { data?: { ticket?: unknown } }).data?.ticket;
  let stored: string | undefined;
  for (let i = 0; i < 100 && stored !== 'paid'; i++) {
    stored = (await new OrderStore(pool2).getOrder(orderId))?.status;
    if (stored !== 'paid') await sleep(100);
  }
  t.equal(stored, 'paid', "up's order worker wrote the paid order to PostgreSQL");
  const row = await pool2.query<{ ticket: unknown }>('select ticket from orders where order_id = $1', [orderId]);
  t.same(row.rows[0]?.ticket, ticket, 'with the very ticket pay answered (same key, Ed25519 is deterministic)');
  t.ok(second.stdout.includes('orders  1 worker'), 'the summary names the order worker');
  await pool2.end();
  const pg2 = second.state().children.find((c) => c.role === 'postgres')?.pid ?? -1;
  const exit2 = await second.stop('SIGTERM');
  t.equal(exit2.code, 0);
  t.same(alive([pg2]), [], 'stopped again');
});

/** Every path under a directory with its size and mtime: equal before and after means nothing was touched. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = lstatSync(path);
      out.push(`${rel}${name} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(path, `${rel}${name}/`);
    }
  };
  walk(dir, '');
  return out;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
