import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createPool, databaseReady } from '../store/connection.js';
import { migrate, type MigrateResult } from '../store/migrations.js';
import { LaunchError } from './errors.js';
import type { Logger } from './log.js';
import { waitUntil } from './probe.js';
import { contents, isRoot, locateCluster } from './postgres-data.js';
import type { ChildSpec } from './supervisor.js';

/** PostgreSQL refuses to run as root; as root, `up` runs it as this system user (made by the Debian package). */
export const SERVER_USER = 'postgres';
export const PASSWORD_FILE = 'postgres.password';

function serverUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, SERVER_USER], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0) {
    throw new LaunchError('MISSING_BINARY', `running as root, PostgreSQL needs the system user "${SERVER_USER}" (apt-get install -y postgresql makes it), or set DATABASE_URL`);
  }
  return { uid, gid };
}

/** argv prefix that runs a program as the server user (setpriv execs: the pid stays the program's). */
function asServer(user: { uid: number; gid: number } | undefined): string[] {
  return user === undefined ? [] : ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--'];
}

export interface PreparedPostgres {
  dataDir: string;
  password: string;
  /** True when this call ran initdb. */
  created: boolean;
  user: { uid: number; gid: number } | undefined;
}

/**
 * The cluster, made once by initdb: scram-sha-256 for every connection, the password generated and kept in
 * <var>/postgres.password (mode 0600). Where it lives: `locateCluster`. A directory that holds a cluster is used
 * as it is — never deleted, never made again (`--fresh` alone starts over: `freshPostgres`); initdb runs only
 * where there is nothing, into a scratch directory renamed into place once complete, so a directory at the data
 * path is always a whole cluster (an interrupted initdb leaves only the scratch, removed at the next try).
 */
export function preparePostgres(varDir: string, initdb: string, log: Logger): PreparedPostgres {
  const passwordFile = join(varDir, PASSWORD_FILE);
  const user = serverUser();
  const dataDir = locateCluster(varDir, user, log);
  const found = contents(dataDir);
  if (found === 'cluster') {
    if (!existsSync(passwordFile)) {
      throw new LaunchError('START_FAILED', `${dataDir} exists but ${passwordFile} is gone: the embedded PostgreSQL cannot be reached; restore the file, or start over with --fresh (its orders are lost)`);
    }
    return { dataDir, password: readFileSync(passwordFile, 'utf8').trim(), created: false, user };
  }
  if (found === 'other') {
    throw new LaunchError(
      'DATA_GUARDED',
      `${dataDir} holds files but no PG_VERSION, so it is no PostgreSQL cluster up can start, and up deletes nothing there: ` +
        `restore its PG_VERSION if it is the cluster, or move it away; --fresh deletes it (when no PostgreSQL uses it)`,
    );
  }
  const scratch = `${dataDir}.initdb`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { mode: 0o700, recursive: true });
  const password = randomBytes(18).toString('base64url');
  writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
  // initdb reads the superuser's password from a file: one the server user can read, beside the data dir.
  const pwfile = join(dirname(dataDir), `.postgres-pw-${process.pid}`);
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (user !== undefined) {
    chownSync(scratch, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  log.info({ dataDir }, 'initdb: making the embedded PostgreSQL cluster');
  const argv = [...asServer(user), initdb, '-D', scratch, '-U', 'postgres', '--pwfile', pwfile, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C'];
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 120_000 });
  rmSync(pwfile, { force: true });
  if (result.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new LaunchError('START_FAILED', `initdb failed (exit ${result.status ?? result.signal}): ${(result.stderr || result.stdout || String(result.error)).trim().slice(-600)}`);
  }
  // Over nothing or an empty directory (rename(2) replaces an empty one): never over a cluster.
  renameSync(scratch, dataDir);
  return { dataDir, password, created: true, user };
}

/** nice(1) level of the work behind the sale on a shared machine: PostgreSQL and the order workers. */
export const BACKGROUND_NICE = 10;

export function postgresUrl(port: number, password: string): string {
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

export interface EmbeddedPostgresOptions {
  binary: string;
  port: number;
  prepared: PreparedPostgres;
  logFile: string;
}

/**
 * `up`'s own postmaster, run in the foreground (supervised like Redis): loopback TCP only, no Unix socket,
 * fsync on (a committed order survives a power cut). SIGINT is PostgreSQL's fast shutdown: open
 * transactions roll back, a checkpoint is written, it exits. Its cmdline keeps `-D <data dir>`.
 */
export function embeddedPostgresSpec(o: EmbeddedPostgresOptions): ChildSpec {
  const argv = [
    // Below the nodes in CPU priority: the order store is written behind the sale (the worker's batches), and
    // on one machine its commits must not take the cores the purchases need (bench/stress/worker-impact.sh).
    'nice', '-n', String(BACKGROUND_NICE),
    ...asServer(o.prepared.user),
    o.binary,
    '-D', o.prepared.dataDir,
    '-p', String(o.port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'fsync=on',
  ];
  const url = postgresUrl(o.port, o.prepared.password);
  return {
    name: 'postgres',
    command: argv[0],
    args: argv.slice(1),
    cmdlineHas: [basename(o.binary), `-D ${o.prepared.dataDir}`, `-p ${o.port}`],
    background: BACKGROUND_NICE,
    logFile: o.logFile,
    stopSignal: 'SIGINT',
    stopTimeoutMs: 15_000,
    // Crash recovery (WAL replay) after a kill may take a while.
    ready: (signal) => waitUntil(() => databaseReady(url), signal, 50),
    readyTimeoutMs: 60_000,
  };
}

/** The schema, brought up to date (several `up`s or workers at once apply it once). */
export async function migrateDatabase(url: string): Promise<MigrateResult> {
  const pool = createPool(url, { max: 1, name: 'ticket-spike-up' });
  try {
    return await migrate(pool);
  } catch (err) {
    throw new LaunchError('START_FAILED', `migrating the order store failed: ${(err as Error).message}`);
  } finally {
    await pool.end().catch(() => {});
  }
}
