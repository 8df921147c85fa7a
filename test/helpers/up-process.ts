import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPortFree } from '../../src/launcher/ports.js';
import { isPidAlive, type UpState } from '../../src/launcher/state.js';
import { childEnv } from './env.js';
import { freePort } from './free-port.js';
import { cliArgs } from './cli-entry.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface UpStartOptions {
  /** Extra flags after the ports, e.g. ['--weights', '1,1', '--demo-total', '3000']. */
  args?: string[];
  nodes?: number;
  /** Variables to set for `up` (it sees nothing else of the caller's environment but PATH and HOME). */
  env?: Record<string, string>;
  /** Reuse a var dir (default: a new temp dir, removed by stop()). */
  varDir?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stop() only: whether <var>/up.json was still there after the exit (it must not be). */
  stateLeft?: boolean;
}

/**
 * `count` consecutive free loopback ports (nodes take --port-base, +1, ...). Chosen below Linux's ephemeral range
 * (32768-60999 by default): ports the kernel hands out for bind(0) — every other test's free port — and for
 * outgoing connections come from there, and one of them could take a port of this range in the seconds before
 * a node listens on it ("could not listen: is the port taken?").
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * 22_000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await isPortFree(base + i);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

function nodeArgs(args: string[]): string[] {
  return cliArgs(['up', ...args]);
}

/**
 * The real `ticket-spike up` as a child (compiled, test/helpers/cli-entry.ts), on free ports, with its var dir in a temp
 * dir and one uWS thread per node. start() resolves once it printed its summary (everything answers).
 */
export class UpProcess {
  stdout = '';
  stderr = '';
  private readonly exited: Promise<Exit>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly portBase: number,
    readonly varDir: string,
    private readonly ownsVar: boolean,
  ) {
    child.stdout?.on('data', (c: Buffer) => (this.stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(options: UpStartOptions = {}): Promise<UpProcess> {
    const nodes = options.nodes ?? 4;
    const port = await freePort();
    const portBase = await freePortRange(nodes);
    const redisPort = await freePort();
    const pgPort = await freePort();
    const ownsVar = options.varDir === undefined;
    const varDir = options.varDir ?? mkdtempSync(join(tmpdir(), 'ts-up-'));
    const args = [
      '--port', String(port),
      '--port-base', String(portBase),
      '--redis-port', String(redisPort),
      ...(options.env?.['DATABASE_URL'] !== undefined || (options.args ?? []).includes('--database') ? [] : ['--postgres-port', String(pgPort)]),
      '--var-dir', varDir,
      '--threads', '1',
      '--nginx-workers', '1',
      '--nodes', String(nodes),
      ...(options.args ?? []),
    ];
    const env = childEnv({ LOG_LEVEL: 'info', ...options.env });
    const child = spawn(process.execPath, nodeArgs(args), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const up = new UpProcess(child, port, portBase, varDir, ownsVar);
    const deadline = Date.now() + 60_000;
    let gone = false;
    void up.exited.then(() => (gone = true));
    while (!up.stdout.includes('ticket-spike is up')) {
      if (gone || Date.now() > deadline) {
        child.kill('SIGTERM');
        const exit = await up.exited;
        throw new Error(`up did not start (exit ${exit.code ?? exit.signal}): ${exit.stderr.slice(-3000)}`);
      }
      await sleep(50);
    }
    return up;
  }

  /** Runs `up` with these args to completion (for refusals); kills it after timeoutMs. */
  static async run(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Exit> {
    const fullEnv = childEnv(env);
    const child = spawn(process.execPath, nodeArgs(args), { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    return new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      }),
    );
  }

  state(): UpState {
    return JSON.parse(readFileSync(join(this.varDir, 'up.json'), 'utf8')) as UpState;
  }

  /** Polls up.json until `check` holds (e.g. a restarted child has a new pid). */
  async waitState(check: (s: UpState) => boolean, timeoutMs = 20_000): Promise<UpState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const s = this.state();
        if (check(s)) return s;
      } catch {
        // being rewritten
      }
      if (Date.now() > deadline) throw new Error('waitState: timed out');
      await sleep(50);
    }
  }

  /** SIGTERM (default) and wait for the exit; var dir removed when we made it. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([this.exited, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]);
    clearTimeout(timer);
    if (exit === undefined) {
      // Not stopping: take everything down by force so the test run leaves nothing behind, then fail.
      for (const pid of descendants(this.child.pid ?? -1)) killQuietly(pid);
      killQuietly(this.child.pid ?? -1);
      throw new Error(`up did not stop within ${timeoutMs} ms: ${this.stderr.slice(-2000)}`);
    }
    const stateLeft = existsSync(join(this.varDir, 'up.json'));
    if (this.ownsVar) removeVarDir(this.varDir);
    return { ...exit, stateLeft };
  }

  /** Emergency cleanup for t.teardown: kill up and everything below it. */
  killAll(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    for (const p of descendants(pid)) killQuietly(p);
    killQuietly(pid);
    if (this.ownsVar) removeVarDir(this.varDir);
  }
}

/**
 * Removes a var dir an `up` used, and — as root, where the embedded PostgreSQL lives outside it — the cluster its
 * var/postgres link points to (only under /var/lib/ticket-spike, where up puts them).
 */
export function removeVarDir(varDir: string): void {
  let target: string | undefined;
  try {
    target = readlinkSync(join(varDir, 'postgres'));
  } catch {
    target = undefined;
  }
  if (target !== undefined && target.startsWith('/var/lib/ticket-spike/')) rmSync(dirname(target), { recursive: true, force: true });
  rmSync(varDir, { recursive: true, force: true });
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Every live process whose parent chain leads to `pid` (from /proc). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const p = frontier.pop() as number;
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        frontier.push(child);
      }
    }
  }
  return out;
}

export function alive(pids: number[]): number[] {
  return pids.filter((p) => isPidAlive(p) && !isZombie(p));
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export interface Answer {
  status: number;
  servedBy: string;
  body: { code?: number; msg?: string; data?: { orderId?: string; remaining?: number; held?: number; paid?: number; total?: number } } | undefined;
  error?: string;
}

/**
 * A bounded load: `requests` GETs of `path` (a function of the index), `concurrency` at a time over
 * keep-alive HTTP/1.1; each answer goes to onAnswer. stop() ends it early.
 */
export async function hammer(
  port: number,
  path: (i: number) => string,
  options: { requests: number; concurrency: number; onAnswer?: (a: Answer, i: number) => void; shouldStop?: () => boolean },
): Promise<Answer[]> {
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const answers: Answer[] = [];
  let next = 0;
  const one = (i: number) =>
    new Promise<Answer>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: path(i), agent, timeout: 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: Answer['body'];
          try {
            body = JSON.parse(text) as Answer['body'];
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, servedBy: String(res.headers['x-served-by'] ?? ''), body });
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve({ status: 0, servedBy: '', body: undefined, error: err.message }));
      req.end();
    });
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.requests && !(options.shouldStop?.() ?? false)) {
        const i = next++;
        const a = await one(i);
        answers.push(a);
        options.onAnswer?.(a, i);
      }
    }),
  );
  agent.destroy();
  return answers;
}
