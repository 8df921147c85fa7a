import { spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findPostgresBinary } from '../../src/launcher/prereqs.js';
import { isAlive } from '../../src/launcher/proc.js';
import { databaseReady } from '../../src/store/connection.js';
import { childEnv } from './env.js';
import { freePort } from './free-port.js';
import { descendants } from './up-process.js';
import { inHost, type HostPlace } from './hosts/place.js';

export interface PostgresServerOptions {
  /** Reuse this directory (its `data` dir is the cluster); by default a new temp dir, removed by stop(). */
  dir?: string;
  /** Reuse this port (to restart in place); by default a free one. */
  port?: number;
  /** Server settings (`-c name=value`), kept for restart(): e.g. shared_preload_libraries=pg_stat_statements. */
  settings?: Record<string, string>;
  /**
   * Run inside this harness host (test/helpers/hosts.ts): listening on its address and its own 127.0.0.1, the
   * harness's /24 trusted in pg_hba.conf. Default: the test's own 127.0.0.1.
   */
  host?: HostPlace;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** PostgreSQL refuses to run as root: as root every program runs as the system user `postgres`. */
function asServerUser(binary: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

function run(binary: string, args: string[], what: string, host?: HostPlace): string {
  // `ip netns exec` outside runuser: entering a namespace needs root; the server then runs as postgres in it.
  const [command, argv] = inHost(host, ...asServerUser(binary, args));
  const result = spawnSync(command, argv, { encoding: 'utf8', env: childEnv(), timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
  return result.stdout;
}

function binary(name: string): string {
  const found = findPostgresBinary(name);
  if (found === undefined) throw new Error(`${name} not found under /usr/lib/postgresql/*/bin or on PATH: apt-get install -y postgresql (npm test's pretest does)`);
  return found;
}

function ownDir(dir: string): void {
  if (!isRoot) return;
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('no system user "postgres" (the Debian package postgresql makes it)');
  chownSync(dir, uid, gid);
}

/** One initdb per test process, copied for every server (initdb takes ~0.6 s, a copy ~0.1 s). */
let template: string | undefined;
function templateDir(): string {
  if (template !== undefined) return template;
  const dir = mkdtempSync(join(tmpdir(), 'ts-pg-template-'));
  ownDir(dir);
  // -N: no fsync during initdb (a throwaway cluster); the servers themselves run with fsync on.
  run(binary('initdb'), ['-D', join(dir, 'data'), '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '-N'], 'initdb');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  template = dir;
  return dir;
}

/**
 * Lets the harness's hosts in: the template trusts loopback only. Trust, as for loopback: the /24 is private to
 * one test's namespaces and the test's own address on their bridge.
 */
function trustSubnet(dataDir: string, subnet: string): void {
  const file = join(dataDir, 'pg_hba.conf');
  const line = `host all all ${subnet} trust`;
  if (!readFileSync(file, 'utf8').split('\n').includes(line)) appendFileSync(file, `${line}\n`);
}

/**
 * A real PostgreSQL on 127.0.0.1 (trust authentication: tests only, loopback only), its cluster in a temp
 * dir owned by the `postgres` user when we are root. Each test file starts its own. With `host`, inside a harness
 * host, reached at its address.
 */
export class PostgresServer {
  /** What freeze() stopped (postmaster first). */
  private frozen: number[] = [];

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly settings: Record<string, string> = {},
    readonly host?: HostPlace,
  ) {}

  /** Where the test reaches it: 127.0.0.1, or its host's address. */
  get address(): string {
    return this.host?.address ?? '127.0.0.1';
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `postgresql://postgres@${this.address}:${this.port}/postgres`;
  }

  /** The postmaster's pid (first line of postmaster.pid), or undefined when it is not running. */
  get pid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const port = options.port ?? (await freePort());
    const ownsDir = options.dir === undefined;
    let dir = options.dir;
    if (dir === undefined || !existsSync(join(dir, 'data', 'PG_VERSION'))) {
      dir ??= mkdtempSync(join(tmpdir(), 'ts-pg-'));
      ownDir(dir);
      cpSync(join(templateDir(), 'data'), join(dir, 'data'), { recursive: true, preserveTimestamps: true });
      if (isRoot) spawnSync('chown', ['-R', 'postgres:postgres', join(dir, 'data')]);
    }
    if (options.host !== undefined) trustSubnet(join(dir, 'data'), options.host.subnet);
    const server = new PostgresServer(port, dir, ownsDir, options.settings, options.host);
    await server.launch();
    return server;
  }

  private async launch(): Promise<void> {
    const extra = Object.entries(this.settings).map(([name, value]) => ` -c ${name}=${value}`).join('');
    const listen = this.host === undefined ? '127.0.0.1' : `${this.host.address},127.0.0.1`;
    const options = `-p ${this.port} -c listen_addresses=${listen} -c unix_socket_directories=${this.dir} -c fsync=on${extra}`;
    run(binary('pg_ctl'), ['start', '-w', '-t', '30', '-D', this.dataDir, '-l', join(this.dir, 'server.log'), '-o', options], 'pg_ctl start', this.host);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ready = await databaseReady(this.url);
      if (ready === true) return;
      if (Date.now() > deadline) throw new Error(`PostgreSQL on ${this.address}:${this.port} did not answer: ${ready}`);
      await sleep(50);
    }
  }

  /** Starts the server again on the same port and data dir (after kill()). */
  async restart(): Promise<void> {
    if (this.pid !== undefined) throw new Error('PostgresServer.restart: still running; kill() it first');
    await this.launch();
  }

  /**
   * Sends a signal (SIGKILL by default) to the postmaster and waits until it and its server processes are
   * gone (a restart on the same data dir refuses while an old backend still holds the shared memory).
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    const children = descendants(pid);
    process.kill(pid, signal);
    const deadline = Date.now() + 15_000;
    while ([pid, ...children].some(isAlive)) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) did not exit after ${signal}`);
      await sleep(20);
    }
    // Dead, but possibly a zombie not reaped yet (pg_ctl's postmaster is re-parented): PostgreSQL's own check
    // (kill(pid, 0)) would take its lock file for a live server. Give the reaper a moment, then drop the file.
    const reaped = Date.now() + 2000;
    while (existsSync(`/proc/${pid}`) && Date.now() < reaped) await sleep(20);
    if (existsSync(`/proc/${pid}`)) rmSync(join(this.dataDir, 'postmaster.pid'), { force: true });
  }

  /**
   * SIGSTOPs the postmaster, then every server process under it: the server hangs as a stuck host would — a query
   * in flight gets no answer, a new connection is accepted by the kernel and never greeted — until thaw().
   */
  freeze(): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error('PostgresServer.freeze: not running');
    // The postmaster first: stopped, it forks no new backend while the others are listed and stopped.
    process.kill(pid, 'SIGSTOP');
    this.frozen = [pid, ...descendants(pid)];
    for (const child of this.frozen.slice(1)) process.kill(child, 'SIGSTOP');
  }

  /** SIGCONTs what freeze() stopped. */
  thaw(): void {
    for (const pid of this.frozen.reverse()) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone meanwhile
      }
    }
    this.frozen = [];
  }

  /** Stops the server at once (pg_ctl stop -m immediate) and removes its temp dir (when it made one). */
  async stop(): Promise<void> {
    // A frozen server would not hear pg_ctl's signal.
    if (this.frozen.length > 0) this.thaw();
    if (this.pid !== undefined) {
      try {
        run(binary('pg_ctl'), ['stop', '-m', 'immediate', '-w', '-D', this.dataDir], 'pg_ctl stop');
      } catch {
        await this.kill('SIGKILL');
      }
    }
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
