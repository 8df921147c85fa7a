import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LaunchError } from './errors.js';
import { resolveVarDir } from './paths.js';
import { procInfo } from './proc.js';
import { isRole, type ChildRecord } from './children.js';

/** What a running `ticket-spike up` publishes in <var>/up.json (mode 0600: it holds the admin token and passwords). */
export interface UpState {
  /** pid of the `up` process itself; the file counts only while that pid is alive. */
  pid: number;
  status: 'starting' | 'running';
  startedAt: string;
  varDir: string;
  /** The Redis every child uses; the embedded one's carries its password (redis://:<password>@127.0.0.1:<port>). */
  redisUrl?: string;
  /** Set when `up` runs its own redis-server (and supervises it). */
  redisDataDir?: string;
  /** The order store: embedded (postgresDataDir set, supervised) or DATABASE_URL. Holds a password. */
  databaseUrl?: string;
  postgresDataDir?: string;
  nginxUrl?: string;
  nginxPort?: number;
  /**
   * Every child this `up` runs, each written with its pid and cmdline as soon as it runs (src/launcher/children.ts);
   * one that died and waits for its restart is absent until it runs again.
   */
  children: ChildRecord[];
  /** Children of a crashed earlier `up` that this one found alive and has not stopped yet. */
  leftovers?: ChildRecord[];
  defaultSale?: string;
  adminToken?: string;
}

export const STATE_FILE = 'up.json';

export function stateFilePath(varDir: string): string {
  return join(varDir, STATE_FILE);
}

/**
 * True when a process with this pid exists (EPERM: it exists but is not ours). A zombie does not count: a
 * SIGKILLed `up` under a parent that never reaps it must not hold the lock forever.
 */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return procInfo(pid).alive;
}

export function parseState(text: string): UpState | undefined {
  try {
    const value = JSON.parse(text) as Partial<UpState> & LegacyFields;
    if (typeof value.pid !== 'number' || typeof value.varDir !== 'string') return undefined;
    const children = Array.isArray(value.children) ? value.children.filter((c) => isRole(c.role)) : legacyChildren(value, value.pid);
    return { ...value, children } as UpState;
  } catch {
    return undefined;
  }
}

/** The per-kind fields an `up` from before `children` wrote (its children may still run after it crashed). */
interface LegacyFields {
  redisPid?: number;
  redisCmdlineHas?: string[];
  postgresPid?: number;
  postgresCmdlineHas?: string[];
  nginxPid?: number;
  nginxCmdlineHas?: string[];
  nodes?: { id: string; port: number; weight: number; pid?: number; cmdlineHas?: string[] }[];
  watchdogPid?: number;
  watchdogCmdlineHas?: string[];
}

/**
 * An up.json of an older `up` read as the list: a crash of that `up` followed by an upgrade must not leave its
 * Redis running unknown (a --fresh would then delete the files under it).
 */
function legacyChildren(v: LegacyFields, upPid: number): ChildRecord[] {
  const out: ChildRecord[] = [];
  const one = (role: 'watchdog' | 'nginx' | 'redis' | 'postgres', pid: number | undefined, cmdlineHas: string[] | undefined) => {
    if (pid !== undefined && cmdlineHas !== undefined) out.push({ role, name: role, pid, cmdlineHas, upPid });
  };
  one('watchdog', v.watchdogPid, v.watchdogCmdlineHas);
  one('nginx', v.nginxPid, v.nginxCmdlineHas);
  for (const n of v.nodes ?? []) {
    if (n.pid !== undefined && n.cmdlineHas !== undefined) out.push({ role: 'node', name: n.id, pid: n.pid, cmdlineHas: n.cmdlineHas, upPid, port: n.port, weight: n.weight });
  }
  one('redis', v.redisPid, v.redisCmdlineHas);
  one('postgres', v.postgresPid, v.postgresCmdlineHas);
  return out;
}

/**
 * The state of a running `ticket-spike up`, or undefined when none runs (no file, unreadable file, or a
 * file left by an `up` that is gone). `sale status` / `audit` use it to find Redis without flags.
 * The var dir is TICKET_SPIKE_VAR when set, else <projectRoot>/var.
 */
export function readUpState(env: NodeJS.ProcessEnv, projectRoot?: string): UpState | undefined {
  return readUpStateIn(resolveVarDir(projectRoot, undefined, env));
}

export function readUpStateIn(varDir: string): UpState | undefined {
  let text: string;
  try {
    text = readFileSync(stateFilePath(varDir), 'utf8');
  } catch {
    return undefined;
  }
  const state = parseState(text);
  if (state === undefined || !isPidAlive(state.pid)) return undefined;
  return state;
}

/**
 * Takes the lock: creates up.json exclusively (O_EXCL). A file whose pid is alive means another `up` runs
 * from this var dir — refused with a clear message; a stale file (its `up` died) is replaced, and returned:
 * it names the children that `up` may have left running (src/launcher/leftovers.ts).
 */
export function acquireUpLock(varDir: string, initial: UpState): UpState | undefined {
  let previous: UpState | undefined;
  mkdirSync(varDir, { recursive: true, mode: 0o700 });
  const file = stateFilePath(varDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // removed meanwhile: try again
      }
      const other = parseState(text);
      if (other !== undefined && other.pid !== process.pid && isPidAlive(other.pid)) {
        const where = other.nginxUrl !== undefined ? ` serving ${other.nginxUrl}` : '';
        throw new LaunchError(
          'ALREADY_RUNNING',
          `ticket-spike up is already running (pid ${other.pid}${where}, state ${file}) — stop it first (kill ${other.pid}) or use another --var-dir`,
        );
      }
      if (other === undefined) {
        // Unreadable: another `up` may be between open(wx) and its write. Stale only once it is old.
        let ageMs = Infinity;
        try {
          ageMs = Date.now() - statSync(file).mtimeMs;
        } catch {
          continue;
        }
        if (ageMs < 2000) {
          throw new LaunchError('ALREADY_RUNNING', `another ticket-spike up is starting (state ${file}); wait or use another --var-dir`);
        }
      }
      previous = other ?? previous;
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(initial, null, 2) + '\n');
    } finally {
      closeSync(fd);
    }
    return previous;
  }
  throw new LaunchError('ALREADY_RUNNING', `could not take the lock ${file}; another ticket-spike up keeps racing for it`);
}

/** Replaces the state atomically (write a temp file, rename over up.json). */
export function writeUpState(varDir: string, state: UpState): void {
  const file = stateFilePath(varDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Removes up.json, but only when it is ours (never another live `up`'s). */
export function releaseUpLock(varDir: string): void {
  const file = stateFilePath(varDir);
  try {
    const state = parseState(readFileSync(file, 'utf8'));
    if (state !== undefined && state.pid !== process.pid) return;
  } catch {
    return;
  }
  rmSync(file, { force: true });
}

/** --fresh: everything under the var dir except up.json (our own lock). Only after the leftovers check. */
export function wipeVarDir(varDir: string, log: { info(obj: object, msg: string): void }): void {
  for (const entry of readdirSync(varDir)) {
    if (entry === STATE_FILE) continue;
    rmSync(join(varDir, entry), { recursive: true, force: true });
  }
  log.info({ varDir }, '--fresh: emptied the var dir');
}
