import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv } from './env.js';
import { freePort } from './free-port.js';
import { redisPing } from '../../src/launcher/probe.js';
import { inHost, type HostPlace } from './hosts/place.js';
import { Redis as IORedis, type Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { loadScripts } from '../../src/redis/scripts.js';
import { connectRedisReady } from '../../src/redis/connection.js';

export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. ['--appendfsync', 'everysec']. */
  args?: string[];
  /** Reuse this data directory (to restart on the same AOF); by default a new temp dir. */
  dir?: string;
  /** Reuse this port (to restart in place); by default a free one. */
  port?: number;
  /**
   * Run inside this harness host (test/helpers/hosts.ts), listening on its address and its own 127.0.0.1, with
   * protected mode off (Redis 7 answers a client from any address but loopback only with DENIED when there is no
   * password). Default: the test's own 127.0.0.1.
   */
  host?: HostPlace;
}

/**
 * A real `redis-server` child on 127.0.0.1 (or inside a harness host, `host`), with AOF on (appendfsync always)
 * and its data in a temp dir. Each test file starts its own, so tests never share keys or state.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly args: string[],
    readonly host: HostPlace | undefined,
  ) {}

  /** Where the test reaches it: 127.0.0.1, or its host's address. */
  get address(): string {
    return this.host?.address ?? '127.0.0.1';
  }

  get url(): string {
    return `redis://${this.address}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ts-redis-'));
    const server = new RedisServer(port, dir, ownsDir, options.args ?? [], options.host);
    await server.launch();
    return server;
  }

  /** Starts the process again on the same port and data dir (after kill()). */
  /** Starts the process again on the same port and data dir (after kill()); `extraArgs` go last, so they win
   *  over the start's (e.g. a `--replicaof` of the master it should follow now). */
  async restart(extraArgs: string[] = []): Promise<void> {
    if (this.child !== undefined) throw new Error('RedisServer.restart: still running; kill() it first');
    await this.launch(extraArgs);
  }

  private async launch(extraArgs: string[] = []): Promise<void> {
    const bind = this.host === undefined ? ['--bind', '127.0.0.1'] : ['--bind', this.host.address, '127.0.0.1', '--protected-mode', 'no'];
    const child = spawn(
      ...inHost(this.host, 'redis-server', [
        '--port', String(this.port),
        ...bind,
        '--dir', this.dir,
        '--appendonly', 'yes',
        '--appendfsync', 'always',
        '--save', '',
        '--daemonize', 'no',
        '--logfile', '',
        '--loglevel', 'warning',
        ...this.args,
        ...extraArgs,
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv() },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.child === undefined) throw new Error(`redis-server exited at start: ${stderr}`);
      if (await ping(this.port, this.address)) return;
      await sleep(25);
    }
    throw new Error(`redis-server on ${this.address}:${this.port} did not answer PING within 10 s: ${stderr}`);
  }

  /** Sends a signal (SIGKILL by default) and waits for the process to go away. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Stops the server and removes its temp dir (when it made one). */
  async stop(): Promise<void> {
    await this.kill('SIGKILL');
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Script calls a server has run so far, by any client: EVALSHA (ioredis defineCommand), EVAL (the NOSCRIPT
 *  fallback) and FCALL, read from INFO commandstats. */
export async function scriptCalls(client: { info(section: 'commandstats'): Promise<string> }): Promise<number> {
  const info = await client.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(evalsha|eval|fcall|evalsha_ro|eval_ro):calls=(\d+)/gm)) calls += Number(m[2]);
  return calls;
}

/** True when something on the port answers PING with +PONG. */
export const ping = redisPing;

/**
 * Clients of one server for a test file: `connect()` opens one (ready, with the given command deadline), and every
 * one it opened is disconnected when `t` ends.
 */
export function redisClients(t: { teardown(fn: () => void): void }, url: string): (commandTimeoutMs?: number) => Promise<Redis> {
  const clients: Redis[] = [];
  t.teardown(() => clients.forEach((c) => c.disconnect()));
  return async (commandTimeoutMs?: number) => {
    const c = (await connectRedisReady(url, commandTimeoutMs === undefined ? {} : { commandTimeoutMs })) as Redis;
    clients.push(c);
    return c;
  };
}

/**
 * Counts the calls of one of the project's scripts (by name: 'reserveBatch') that a server runs from now on, by any
 * client — through MONITOR, so a node's background scripts (status reads, holder log, expiry) are not counted
 * with it. `count()` resolves once the monitor has seen everything the server ran before it was asked (an ECHO sent
 * then, seen back); `stop()` ends the monitor.
 */
export async function watchScript(url: string, name: string): Promise<{ count(): Promise<number>; stop(): void }> {
  const script = loadScripts().find((s) => s.name === name);
  if (script === undefined) throw new Error(`no script ${name}`);
  const sha = createHash('sha1').update(script.lua).digest('hex');
  // monitor() opens a connection of its own from `host`, which is closed with it; `probe` sends the ECHOs.
  const host = new IORedis(url);
  const monitor = await host.monitor();
  const probe = new IORedis(url);
  let calls = 0;
  const marks = new Map<string, () => void>();
  monitor.on('monitor', (_time: string, args: string[]) => {
    const command = String(args[0]).toLowerCase();
    if ((command === 'evalsha' && args[1] === sha) || (command === 'eval' && args[1] === script.lua)) calls++;
    if (command === 'echo') marks.get(String(args[1]))?.();
  });
  let n = 0;
  return {
    count: async () => {
      const mark = `watch-${name}-${++n}`;
      const seen = new Promise<void>((resolve) => marks.set(mark, resolve));
      await probe.echo(mark);
      await seen;
      return calls;
    },
    stop: () => {
      monitor.disconnect();
      host.disconnect();
      probe.disconnect();
    },
  };
}
