import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv } from './env.js';
import { freePort } from './free-port.js';
import { inHost, type HostPlace } from './hosts/place.js';
import { ping } from './redis-server.js';

const run = promisify(execFile);

/**
 * A real Redis Cluster on 127.0.0.1 (3 masters by default, replicas per master on request), data in a temp dir. Each node also needs its
 * cluster bus port (port + 10000) free. stop() kills only the pids this helper started.
 */
export class RedisCluster {
  private readonly children: ChildProcess[] = [];
  private constructor(
    readonly ports: number[],
    readonly dir: string,
    /** Where node i runs (a harness host), when spread over hosts. */
    private readonly places: HostPlace[] = [],
  ) {}

  /** The harness host of the node on ports[i], when spread over hosts. */
  placeOf(i: number): HostPlace | undefined {
    return this.places.length === 0 ? undefined : this.places[i % this.places.length];
  }

  /** Where the test reaches node i: 127.0.0.1, or its host's address. */
  addressOf(i: number): string {
    return this.placeOf(i)?.address ?? '127.0.0.1';
  }

  get nodes(): { host: string; port: number }[] {
    return this.ports.map((port, i) => ({ host: this.addressOf(i), port }));
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid!).filter((p) => p !== undefined);
  }

  /**
   * `replicas`: replicas per master (the issue-19 rule confirms a write per shard on them). `places`: spread the
   * nodes over harness hosts (test/helpers/hosts.ts), node i on places[i % n]; `redis-cli --cluster create` keeps a
   * replica off its master's address, so with as many hosts as masters each master's replica is on another host.
   */
  static async start(masters = 3, replicas = 0, places: HostPlace[] = []): Promise<RedisCluster> {
    const ports: number[] = [];
    while (ports.length < masters * (1 + replicas)) {
      const p = await freePort();
      if (p + 10000 > 65535 || ports.includes(p)) continue;
      if (!(await portFree(p + 10000))) continue;
      ports.push(p);
    }
    const cluster = new RedisCluster(ports, mkdtempSync(join(tmpdir(), 'ts-cluster-')), places);
    try {
      for (const [i] of ports.entries()) await cluster.launch(i);
      await run('redis-cli', [
        '--cluster', 'create', ...cluster.nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes',
      ]);
      await cluster.waitOk();
      if (replicas > 0) await cluster.waitReplicasInSync();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The pid of the node on `port` (to stop or kill it). */
  pidOf(port: number): number | undefined {
    return this.children[this.ports.indexOf(port)]?.pid;
  }

  /** Starts node i again on its data (after its host lost power): it rejoins the cluster from its nodes.conf. */
  async restart(i: number): Promise<void> {
    const old = this.children[i];
    if (old !== undefined && old.exitCode === null && old.signalCode === null) throw new Error(`cluster node ${this.ports[i]} still runs`);
    await this.launch(i);
  }

  private async launch(i: number): Promise<void> {
    const port = this.ports[i];
    const place = this.placeOf(i);
    const dir = join(this.dir, String(port));
    mkdirSync(dir, { recursive: true });
    // In a host: its address (announced on the cluster bus) and its own loopback, no protected mode (no password).
    const bind = place === undefined ? ['--bind', '127.0.0.1'] : ['--bind', place.address, '127.0.0.1', '--protected-mode', 'no', '--cluster-announce-ip', place.address];
    const child = spawn(
      ...inHost(place, 'redis-server', [
        '--port', String(port), ...bind, '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'),
        '--cluster-node-timeout', '2000',
        '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
        '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning',
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv() },
    );
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    this.children[i] = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`cluster node ${port} exited: ${stderr}`);
      if (await ping(port, this.addressOf(i))) return;
      await sleep(25);
    }
    throw new Error(`cluster node ${port} did not answer PING: ${stderr}`);
  }

  private async waitOk(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const states = await Promise.all(
        this.nodes.map(async (n) => (await run('redis-cli', ['-h', n.host, '-p', String(n.port), 'cluster', 'info'])).stdout),
      );
      if (states.every((s) => /cluster_state:ok/.test(s) && /cluster_slots_assigned:16384/.test(s))) return;
      await sleep(100);
    }
    throw new Error('cluster did not reach cluster_state:ok within 20 s');
  }

  /** Every replica has its master link up (a fresh replica's first sync takes a moment after the create). */
  private async waitReplicasInSync(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const infos = await Promise.all(this.nodes.map(async (n) => (await run('redis-cli', ['-h', n.host, '-p', String(n.port), 'info', 'replication'])).stdout));
      const replicas = infos.filter((i) => /role:slave/.test(i));
      if (replicas.length > 0 && replicas.every((i) => /master_link_status:up/.test(i) && !/master_sync_in_progress:1/.test(i))) return;
      await sleep(100);
    }
    throw new Error('cluster replicas not in sync within 20 s');
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    void import('node:net').then(({ createServer }) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  });
}
