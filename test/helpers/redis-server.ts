import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv } from './env.js';
import { freePort } from './free-port.js';
import { redisPing } from '../../src/launcher/probe.js';
import { inHost, type HostPlace } from './hosts/place.js';
import type { Redis } from 'ioredis';
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
