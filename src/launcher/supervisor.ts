import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fchmodSync, openSync, writeFileSync } from 'node:fs';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { Logger } from './log.js';
import { tailFile } from './log-tail.js';

export interface ChildSpec {
  /** Stable name in logs: "redis", "node-3001", "nginx". */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Fragments the child's /proc/<pid>/cmdline shows while it runs (recorded in up.json beside its pid), so
   * the watchdog or a later `up` signals this pid only while it is still this child.
   */
  cmdlineHas?: string[];
  /** stdout and stderr are appended here (the terminal keeps only `up`'s own summary); mode 0600. */
  logFile: string;
  /** Written to the child's stdin, which is then closed (Redis reads its password from there): never argv. */
  stdin?: string;
  /**
   * The umask the child runs under; default 077, so whatever a child writes into the var dir (Redis's AOF, nginx's
   * error log, temp files) is its owner's alone whatever `up`'s own umask is. Set through `sh -c 'umask 077 && exec
   * "$0" "$@"'`: the exec keeps the pid the program's, and `up`'s own umask never changes (process.umask would be
   * process-wide, also for whatever `up` writes meanwhile). PostgreSQL sets its own (077) anyway.
   */
  umask?: number;
  /** Graceful stop: SIGTERM for nodes (they drain) and Redis (AOF fsync + exit), SIGQUIT for nginx. */
  stopSignal: NodeJS.Signals;
  /** After this long without exiting, SIGKILL. */
  stopTimeoutMs: number;
  /** Resolves when the child serves; rejects (or times out) otherwise. */
  ready: (signal: AbortSignal, pid: number | undefined) => Promise<void>;
  readyTimeoutMs: number;
  /** Restart on an unexpected exit (default true). */
  restart?: boolean;
  /**
   * Work behind the sale (PostgreSQL, the order workers): this nice level for the child's whole scheduling
   * group. Children are detached (their own session), and with Linux's autogroups on, a session is scheduled
   * as one group beside the others whatever nice its processes have — so the group's nice is set too
   * (/proc/<pid>/autogroup). Best effort: without autogroups the process nice alone applies.
   */
  background?: number;
  backoff?: BackoffOptions;
}

export class ChildStartError extends Error {
  override readonly name = 'ChildStartError';
}

/**
 * One child process kept alive: started and awaited until ready; when it dies unexpectedly it is
 * restarted after an exponential backoff and the event is logged; stop() ends it gracefully, then by force.
 * Children run in their own process group (detached), so a terminal Ctrl-C reaches only `up`, which then
 * stops them in order (nginx first, then the nodes, Redis last).
 */
export class SupervisedChild {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private startedAt = 0;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The readiness probe of a restarted child; stop() aborts it so nothing keeps polling. */
  private restartProbe: AbortController | undefined;
  private readonly backoff: Backoff;
  restarts = 0;

  constructor(
    readonly spec: ChildSpec,
    private readonly log: Logger,
    /** Called with the new pid after every (re)start, e.g. to refresh up.json. */
    private readonly onSpawn: (pid: number | undefined) => void = () => {},
  ) {
    this.backoff = new Backoff(spec.backoff ?? DEFAULT_BACKOFF);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** First start: spawn and wait until ready. Throws ChildStartError (with the log tail) on failure. */
  async start(): Promise<void> {
    const child = this.spawnChild();
    let exitedEarly = false;
    const onExit = () => (exitedEarly = true);
    child.once('exit', onExit);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.spec.readyTimeoutMs);
    try {
      const deadline = new Promise<never>((_, reject) =>
        ac.signal.addEventListener('abort', () => reject(new Error('not ready in time')), { once: true }),
      );
      const died = this.exited.then(() => {
        throw new Error('exited');
      });
      // Both lose the race when all goes well and reject later: keep those rejections handled.
      deadline.catch(() => {});
      died.catch(() => {});
      const ready = this.spec.ready(ac.signal, child.pid);
      ready.catch(() => {});
      await Promise.race([ready, deadline, died]).catch(async (err: unknown) => {
        // On the deadline, the probe (aborted with it) says what it saw last: prefer its reason.
        if (ac.signal.aborted && !exitedEarly) await ready;
        throw err;
      });
    } catch (err) {
      const why = exitedEarly
        ? `exited during start (${describeExit(child)})`
        : `did not become ready within ${this.spec.readyTimeoutMs} ms (${(err as Error).message})`;
      await this.stop();
      const tail = tailFile(this.spec.logFile, 600);
      throw new ChildStartError(`${this.spec.name} ${why}${tail ? `; last output: ${tail.replace(/\s+/g, ' ')}` : ''}`);
    } finally {
      clearTimeout(timer);
      ac.abort();
      child.off('exit', onExit);
    }
  }

  private spawnChild(): ChildProcess {
    const fd = openSync(this.spec.logFile, 'a', 0o600);
    let child: ChildProcess;
    try {
      // A log made by an older up (or another umask) becomes private too: logs show URLs, keys and buyers.
      fchmodSync(fd, 0o600);
      const umask = (this.spec.umask ?? 0o077).toString(8).padStart(3, '0');
      child = spawn('sh', ['-c', `umask ${umask} && exec "$0" "$@"`, this.spec.command, ...this.spec.args], {
        cwd: this.spec.cwd,
        env: this.spec.env ?? process.env,
        stdio: [this.spec.stdin !== undefined ? 'pipe' : 'ignore', fd, fd],
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    if (this.spec.stdin !== undefined && child.stdin !== null) {
      // A child that exits before reading (bad flags) must not take `up` down with an EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(this.spec.stdin);
    }
    this.child = child;
    this.startedAt = Date.now();
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    child.once('error', (err) => this.log.error({ child: this.spec.name, err: err.message }, `${this.spec.name} could not be spawned`));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    if (this.spec.background !== undefined && child.pid !== undefined) setGroupNice(child.pid, this.spec.background);
    this.log.info({ child: this.spec.name, pid: child.pid, restarts: this.restarts }, `${this.spec.name} spawned`);
    this.onSpawn(child.pid);
    return child;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    // Whatever the child left in its process group (nginx workers whose master died) goes with it, so a
    // restart finds its port free and `up` leaves nothing behind.
    killGroup(child.pid, 'SIGKILL');
    const uptimeMs = Date.now() - this.startedAt;
    if (this.stopping) {
      this.log.info({ child: this.spec.name, pid: child.pid, code, signal }, `${this.spec.name} stopped`);
      return;
    }
    if (this.spec.restart === false) {
      this.log.error({ child: this.spec.name, pid: child.pid, code, signal }, `${this.spec.name} exited`);
      return;
    }
    const delayMs = this.backoff.delayAfter(uptimeMs);
    this.log.error(
      { child: this.spec.name, pid: child.pid, code, signal, uptimeMs, delayMs, restarts: this.restarts, tail: tailFile(this.spec.logFile, 400) },
      `${this.spec.name} died (${signal ?? `exit ${code}`}); restarting in ${delayMs} ms`,
    );
    this.onSpawn(undefined);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.restarts++;
      const next = this.spawnChild();
      const ac = new AbortController();
      this.restartProbe = ac;
      const timer = setTimeout(() => ac.abort(), this.spec.readyTimeoutMs);
      this.spec
        .ready(ac.signal, next.pid)
        .then(
          () => {
            if (this.child === next) this.log.info({ child: this.spec.name, pid: next.pid, restarts: this.restarts }, `${this.spec.name} is back`);
          },
          () => {
            // Not ready: if it died, onExit schedules the next attempt; if it hangs, leave it to the next crash.
          },
        )
        .finally(() => {
          clearTimeout(timer);
          if (this.restartProbe === ac) this.restartProbe = undefined;
        });
    }, delayMs);
  }

  /** Sends a signal to the current child (tests, and `up`'s shutdown). */
  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** Graceful stop (stopSignal), SIGKILL after stopTimeoutMs; resolves once the process is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.restartProbe?.abort();
    const child = this.child;
    if (child === undefined) return;
    const exited = this.exited;
    try {
      child.kill(this.spec.stopSignal);
    } catch {
      // already gone
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.spec.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.log.warn({ child: this.spec.name, pid: child.pid }, `${this.spec.name} did not stop in ${this.spec.stopTimeoutMs} ms; SIGKILL`);
      killGroup(child.pid, 'SIGKILL');
      await exited;
    }
  }
}

/** Signals the child's whole process group (children are spawned detached: pgid == pid). */
export function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // group already empty
  }
}

function describeExit(child: ChildProcess): string {
  return child.signalCode !== null ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`;
}

/** The autogroup nice of a (detached) child's session; ignored where the kernel has no autogroups. */
function setGroupNice(pid: number, nice: number): void {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    // No autogroups (or not allowed): the process's own nice still orders it within its group.
  }
}
