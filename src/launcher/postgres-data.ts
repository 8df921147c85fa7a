import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, symlinkSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LaunchError } from './errors.js';
import type { Logger } from './log.js';
import { procInfo } from './proc.js';

/**
 * Where the embedded PostgreSQL's data lives, and what `up` will and will not do to it: a directory that holds a
 * cluster is the only copy of retired paid orders, so it is used as it is, or refused with the repair
 * (`DATA_GUARDED`) — never deleted nor made again, but by `--fresh` while no PostgreSQL uses it.
 */

const OUTSIDE_ROOT = '/var/lib/ticket-spike';

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

export type Contents = 'none' | 'empty' | 'cluster' | 'other';

/** What a data directory holds: a cluster is a directory with PG_VERSION (initdb's first file). */
export function contents(dir: string): Contents {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw err;
  }
  if (entries.includes('PG_VERSION')) return 'cluster';
  return entries.length === 0 ? 'empty' : 'other';
}

/**
 * Where the cluster of this var dir lives. Not root: <var>/postgres. Root: PostgreSQL runs as the `postgres` user,
 * which cannot enter the var dir (0700, root's), so the cluster lives in /var/lib/ticket-spike/<hash of the var
 * dir>/postgres (`outsideDataDir`) and <var>/postgres is a symlink to it, made with the cluster. The link is the
 * var dir's claim on that directory: missing, broken or pointing elsewhere, up refuses (`DATA_GUARDED`) with the
 * repair, and touches nothing — that directory may be the only copy of retired paid orders.
 */
export function locateCluster(varDir: string, user: { uid: number; gid: number } | undefined, log: Logger): string {
  const inVar = join(varDir, 'postgres');
  const link = lstatOrUndefined(inVar);
  if (user === undefined) {
    if (link?.isSymbolicLink() === true && !existsSync(inVar)) {
      throw new LaunchError('DATA_GUARDED', `${inVar} is a link to ${readlinkSync(inVar)}, which does not exist: put the cluster back there, or remove the link to start an empty one (--fresh does both)`);
    }
    return inVar;
  }
  const outside = outsideDataDir(varDir);
  if (link?.isDirectory() === true && contents(inVar) === 'empty') {
    rmdirSync(inVar);
    return locateCluster(varDir, user, log);
  }
  if (link === undefined) {
    const there = contents(outside);
    if (there === 'cluster' || there === 'other') {
      throw new LaunchError(
        'DATA_GUARDED',
        `${inVar} is missing, but ${outside} holds this var dir's PostgreSQL data${there === 'other' ? ' (no PG_VERSION)' : ''}; up never deletes or re-initialises it. ` +
          `To keep it, recreate the link: ln -s ${outside} ${inVar} — to start over instead, run up --fresh (it deletes ${outside} when no PostgreSQL uses it)`,
      );
    }
    mkdirSync(dirname(outside), { recursive: true });
    // The postgres user reaches its data dir through these (search only; the data dir itself is 0700, its own).
    chmodSync(OUTSIDE_ROOT, 0o755);
    chmodSync(dirname(outside), 0o755);
    symlinkSync(outside, inVar);
    return outside;
  }
  if (link.isSymbolicLink()) {
    const target = readlinkSync(inVar);
    if (resolve(varDir, target) !== outside) {
      throw new LaunchError(
        'DATA_GUARDED',
        `${inVar} points to ${target}, but this var dir's PostgreSQL cluster lives at ${outside}, and up uses no other (nothing was touched). ` +
          `Point it back: ln -sfn ${outside} ${inVar} — or, if ${target} is this var dir's cluster (the var dir was moved), move it first: ` +
          `mkdir -p ${dirname(outside)} && mv ${target} ${outside} && ln -sfn ${outside} ${inVar} — or start over with --fresh (it never deletes ${target})`,
      );
    }
    if (!existsSync(outside)) {
      throw new LaunchError(
        'DATA_GUARDED',
        `${inVar} points to ${outside}, which does not exist: this var dir's PostgreSQL data is gone or moved, and up will not make an empty cluster in its place. ` +
          `Put the cluster back at ${outside}, or run up --fresh to start an empty one (the orders it held are lost)`,
      );
    }
    return outside;
  }
  if (link.isDirectory() && contents(inVar) === 'cluster') {
    // Made by an up from before the var dir was 0700 (it gave the var dir o+x): used where it is, which needs
    // that search permission again. Moving it out is the operator's call (a copy across file systems).
    chmodSync(varDir, (statSync(varDir).mode & 0o777) | 0o001);
    log.warn(
      { dataDir: inVar },
      `${inVar} holds the cluster inside the var dir, so the postgres user needs o+x on ${varDir} (search only); to keep the var dir 0700, stop up and ` +
        `move it: mkdir -p ${dirname(outside)} && mv ${inVar} ${outside} && ln -s ${outside} ${inVar}`,
    );
    return inVar;
  }
  throw new LaunchError(
    'DATA_GUARDED',
    `${inVar} is ${link.isDirectory() ? 'a directory without a cluster' : 'neither a directory nor a link'}; as root, up keeps the cluster in ${outside} and links it from there: ` +
      `move ${inVar} away (or run up --fresh, which deletes it)`,
  );
}

/** As root, where a var dir's cluster lives (see locateCluster). */
export function outsideDataDir(varDir: string): string {
  return join(OUTSIDE_ROOT, createHash('sha256').update(resolve(varDir)).digest('hex').slice(0, 16), 'postgres');
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The PostgreSQL data directories `--fresh` deletes for this var dir: <var>/postgres when it is a directory, and
 * (root) the one outside. A link to anywhere else is removed with the var dir; what it points to is not touched.
 */
function freshTargets(varDir: string): string[] {
  const inVar = join(varDir, 'postgres');
  const out: string[] = [];
  if (lstatOrUndefined(inVar)?.isDirectory() === true) out.push(inVar);
  if (isRoot()) {
    const outside = outsideDataDir(varDir);
    if (existsSync(outside)) out.push(outside);
  }
  return out;
}

/** The pid of the postmaster using this data directory, if one runs (its postmaster.pid names a live postgres). */
export function postmasterUsing(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  const info = procInfo(pid);
  // A postmaster.pid left by a crash names a pid that may now be anything: only a postgres counts.
  return info.alive && /(^|[\s/])(postgres|postmaster)(\s|:|$)/.test(info.cmdline) ? pid : undefined;
}

/**
 * --fresh, before the var dir is emptied: refused (`DATA_GUARDED`, nothing deleted) while a PostgreSQL uses any of
 * the data directories it would delete; otherwise the one outside the var dir is deleted here (the var dir's own
 * files go with wipeVarDir).
 */
export function freshPostgres(varDir: string, log: Logger): void {
  const targets = freshTargets(varDir);
  for (const dir of targets) {
    const pid = postmasterUsing(dir);
    if (pid !== undefined) {
      throw new LaunchError(
        'DATA_GUARDED',
        `--fresh would delete ${dir}, but PostgreSQL (pid ${pid}, ${join(dir, 'postmaster.pid')}) is using it; nothing was deleted — stop it first (kill -INT ${pid})`,
      );
    }
  }
  for (const dir of targets) {
    if (dir === join(varDir, 'postgres')) continue;
    rmSync(dirname(dir), { recursive: true, force: true });
    log.info({ dataDir: dir }, '--fresh: deleted the PostgreSQL cluster of this var dir');
  }
}
