// The embedded PostgreSQL's data is never deleted while a PostgreSQL uses it: `--fresh` checks each data directory
// it would delete for a postmaster.pid naming a live postgres first (src/launcher/embedded-postgres.ts). A stand-in
// "postgres" is `sleep` run under that name; no PostgreSQL is started.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { freshPostgres, locateCluster, outsideDataDir, postmasterUsing } from '../../src/launcher/postgres-data.js';

const quiet = pino({ level: 'silent' });

/** A live process whose command line says it is postgres (or `name`). */
async function standIn(t: { teardown: (fn: () => void) => void }, name: string): Promise<ChildProcess> {
  const child = spawn('bash', ['-c', `exec -a ${name} sleep 30`], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const pid = child.pid as number;
  for (let i = 0; i < 200 && !readCmdline(pid).startsWith(`${name} `); i++) await new Promise((r) => setTimeout(r, 10));
  return child;
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

function cluster(dir: string, postmasterPid?: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'PG_VERSION'), '15\n');
  if (postmasterPid !== undefined) writeFileSync(join(dir, 'postmaster.pid'), `${postmasterPid}\n${dir}\n`);
}

t.test('postmaster.pid counts only while it names a live postgres', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-pgdata-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(postmasterUsing(dir), undefined, 'no postmaster.pid: unused');
  const pg = await standIn(t, 'postgres');
  cluster(dir, pg.pid);
  t.equal(postmasterUsing(dir), pg.pid, 'a live postgres: in use');
  const other = await standIn(t, 'not-a-db');
  cluster(dir, other.pid);
  t.equal(postmasterUsing(dir), undefined, 'the pid is something else now (left by a crash, recycled): unused');
});

t.test('--fresh deletes nothing while a PostgreSQL uses the data', async (t) => {
  const varDir = mkdtempSync(join(tmpdir(), 'ts-pgfresh-'));
  t.teardown(() => rmSync(varDir, { recursive: true, force: true }));
  const pg = await standIn(t, 'postgres');
  const inVar = join(varDir, 'postgres');
  cluster(inVar, pg.pid);
  t.throws(() => freshPostgres(varDir, quiet), { code: 'DATA_GUARDED', message: new RegExp(`--fresh would delete ${inVar}, but PostgreSQL \\(pid ${pg.pid}, .*nothing was deleted`) });
  t.ok(existsSync(join(inVar, 'PG_VERSION')), 'the cluster in the var dir is there');
  pg.kill('SIGKILL');
  await new Promise((resolve) => pg.once('exit', resolve));
  t.doesNotThrow(() => freshPostgres(varDir, quiet), 'its postgres gone: --fresh may go on');
});

t.test('as root: the cluster outside the var dir is deleted by --fresh only when unused', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const varDir = mkdtempSync(join(tmpdir(), 'ts-pgfresh-root-'));
  const outside = outsideDataDir(varDir);
  t.teardown(() => {
    rmSync(dirname(outside), { recursive: true, force: true });
    rmSync(varDir, { recursive: true, force: true });
  });
  const pg = await standIn(t, 'postgres');
  cluster(outside, pg.pid);
  symlinkSync(outside, join(varDir, 'postgres'));
  t.throws(() => freshPostgres(varDir, quiet), { code: 'DATA_GUARDED' });
  t.ok(existsSync(join(outside, 'PG_VERSION')), 'in use: kept');
  pg.kill('SIGKILL');
  await new Promise((resolve) => pg.once('exit', resolve));
  freshPostgres(varDir, quiet);
  t.notOk(existsSync(outside), 'unused: deleted');
});

t.test('not root: a var/postgres link to nothing is refused, not replaced by an empty cluster', async (t) => {
  const varDir = mkdtempSync(join(tmpdir(), 'ts-pglink-'));
  t.teardown(() => rmSync(varDir, { recursive: true, force: true }));
  symlinkSync(join(varDir, 'moved-away'), join(varDir, 'postgres'));
  t.throws(() => locateCluster(varDir, undefined, quiet), { code: 'DATA_GUARDED', message: /is a link to .*moved-away, which does not exist/ });
  const plain = mkdtempSync(join(tmpdir(), 'ts-pglink-'));
  t.teardown(() => rmSync(plain, { recursive: true, force: true }));
  t.equal(locateCluster(plain, undefined, quiet), join(plain, 'postgres'), 'a plain var dir: <var>/postgres');
});
