import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { childEnv } from './env.js';
import { freePort } from './free-port.js';
import { inHost, type HostPlace } from './hosts/place.js';
import { RedisServer } from './redis-server.js';

export interface SentinelGroupOptions {
  /** Replicas of the master (default 2). */
  replicas?: number;
  /** Sentinels (default 3, quorum 2). */
  sentinels?: number;
  /** Sentinel's down-after-milliseconds (default 1000: tests want a failover within seconds). */
  downAfterMs?: number;
  /** Sentinel's failover-timeout (default 10000); a new failover of the same master waits twice this after the last. */
  failoverTimeoutMs?: number;
  /** Extra redis-server arguments for every data node (master and replicas). */
  args?: string[];
  masterName?: string;
  /**
   * Spread over harness hosts (test/helpers/hosts.ts): data node i and Sentinel i run in places[i] (one each per
   * host, e.g. three app hosts), listening on the host's address. Default: everything on the test's 127.0.0.1.
   */
  places?: HostPlace[];
}

/**
 * A real replicated Redis for tests: one master, N replicas and M Sentinels (`redis-server --sentinel`), each a
 * child process on a free loopback port with its data in a temp dir. Every data node is started the same way
 * (a replica of the first), so any of them can be promoted. Ports are fixed per node; which node is master is
 * asked of the Sentinels (`master()`).
 */
export class SentinelGroup {
  private constructor(
    readonly masterName: string,
    readonly nodes: RedisServer[],
    private readonly sentinels: { host: string; port: number; child: ChildProcess; dir: string; place: HostPlace | undefined; conf: string }[],
  ) {}

  static async start(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
    const masterName = options.masterName ?? 'ts-master';
    const replicaArgs = ['--repl-diskless-sync-delay', '0', '--min-replicas-to-write', '0', ...(options.args ?? [])];
    const places = options.places ?? [];
    const placeOf = (i: number) => (places.length === 0 ? {} : { host: places[i % places.length] });
    const master = await RedisServer.start({ args: replicaArgs, ...placeOf(0) });
    const replicas = await Promise.all(
      Array.from({ length: options.replicas ?? 2 }, (_, i) =>
        RedisServer.start({ args: [...replicaArgs, '--replicaof', master.address, String(master.port)], ...placeOf(i + 1) }),
      ),
    );
    const nodes = [master, ...replicas];
    const group = new SentinelGroup(masterName, nodes, []);
    await group.waitInSync();
    const count = options.sentinels ?? 3;
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const place = places.length === 0 ? undefined : places[i % places.length];
      const host = place?.address ?? '127.0.0.1';
      const dir = mkdtempSync(join(tmpdir(), 'ts-sentinel-'));
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${host}${place === undefined ? '' : ' 127.0.0.1'}`,
          ...(place === undefined ? [] : ['protected-mode no']),
          `dir ${dir}`,
          `sentinel monitor ${masterName} ${master.address} ${master.port} ${Math.floor(count / 2) + 1}`,
          `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 10000}`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      group.sentinels.push({ host, port, child: spawnSentinel(place, conf), dir, place, conf });
    }
    await group.waitForSentinels();
    return group;
  }

  /** host:port of every Sentinel, as `--redis-sentinels` takes them. */
  get sentinelAddresses(): { host: string; port: number }[] {
    return this.sentinels.map((s) => ({ host: s.host, port: s.port }));
  }

  /**
   * The data node the Sentinels name master now: the answer most Sentinels give. One alone may be stale — a
   * Sentinel that was cut off with the old master still names it for a moment after its link is back.
   */
  async master(): Promise<RedisServer> {
    const answers = await Promise.all(
      this.sentinels.map((s) => command(s.port, ['SENTINEL', 'get-master-addr-by-name', this.masterName], s.host).then((r) => (r as [string, string]).join(':'), () => '')),
    );
    const votes = new Map<string, number>();
    for (const a of answers) if (a !== '') votes.set(a, (votes.get(a) ?? 0) + 1);
    const [winner] = [...votes.entries()].sort((x, y) => y[1] - x[1])[0] ?? [''];
    const node = this.nodes.find((n) => `${n.address}:${n.port}` === winner);
    if (node === undefined) throw new Error(`the Sentinels name an unknown master ${winner || '(none answered)'}`);
    return node;
  }

  /** Waits until the Sentinels name a master other than `old` and it answers as master. */
  async waitForNewMaster(old: RedisServer, timeoutMs = 30_000): Promise<RedisServer> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const now = await this.master().catch(() => old);
      if (now !== old && (await role(now.port, now.address)) === 'master') return now;
      await sleep(100);
    }
    throw new Error(`no new master within ${timeoutMs} ms`);
  }

  /**
   * A host that lost power comes back: its Sentinel on the config Sentinel rewrote, and its data node on its data as
   * a replica of the master the Sentinels name now — what a node started from the config file Sentinel rewrites
   * does (docs/deploy.md, `up`): it never comes back as a second master. Only processes of that host not running.
   */
  async restartAt(address: string): Promise<void> {
    for (const s of this.sentinels) {
      if (s.host === address && s.child.exitCode === null && s.child.signalCode === null) continue;
      if (s.host === address) s.child = spawnSentinel(s.place, s.conf);
    }
    const master = await this.master().catch(() => undefined);
    await Promise.all(
      this.nodes
        .filter((n) => n.address === address && n.pid === undefined)
        .map((n) => n.restart(master !== undefined && master !== n ? ['--replicaof', master.address, String(master.port)] : [])),
    );
  }

  /** A planned switch (SENTINEL FAILOVER). */
  async failover(): Promise<void> {
    await this.askSentinel(['SENTINEL', 'FAILOVER', this.masterName]);
  }

  /** Every replica of the current master has caught up with it (master_repl_offset == each replica's offset). */
  async waitInSync(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const up = await Promise.all(this.nodes.slice(1).map((n) => info(n.port, 'replication', n.address).then((i) => /master_link_status:up/.test(i)).catch(() => false)));
      if (up.every(Boolean)) return;
      await sleep(50);
    }
    throw new Error(`replicas not in sync within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    for (const s of this.sentinels) {
      s.child.kill('SIGKILL');
      rmSync(s.dir, { recursive: true, force: true });
    }
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  private async waitForSentinels(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const want = this.sentinels.length - 1;
    while (Date.now() < deadline) {
      const seen = await Promise.all(
        this.sentinels.map((s) => command(s.port, ['SENTINEL', 'master', this.masterName], s.host).then((r) => Number(field(r, 'num-other-sentinels'))).catch(() => -1)),
      );
      if (seen.every((n) => n >= want)) return;
      await sleep(100);
    }
    throw new Error(`the Sentinels did not find each other within ${timeoutMs} ms`);
  }

  private async askSentinel(args: string[]): Promise<unknown> {
    let last: unknown;
    for (const s of this.sentinels) {
      try {
        return await command(s.port, args, s.host);
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new Error('no Sentinel answered');
  }
}

function spawnSentinel(place: HostPlace | undefined, conf: string): ChildProcess {
  return spawn(...inHost(place, 'redis-server', [conf, '--sentinel', '--loglevel', 'warning', '--logfile', '']), { stdio: ['ignore', 'ignore', 'ignore'], env: childEnv() });
}

async function command(port: number, args: string[], host = '127.0.0.1'): Promise<unknown> {
  const client = new Redis({ port, host, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, commandTimeout: 2000, retryStrategy: () => null });
  client.on('error', () => undefined); // a refused connection fails the command below; nothing else to report
  try {
    await client.connect();
    return await client.call(args[0], ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

function field(reply: unknown, name: string): string | undefined {
  if (!Array.isArray(reply)) return undefined;
  const i = (reply as string[]).indexOf(name);
  return i >= 0 ? (reply as string[])[i + 1] : undefined;
}

export async function info(port: number, section: string, host = '127.0.0.1'): Promise<string> {
  return String(await command(port, ['INFO', section], host));
}

export async function role(port: number, host = '127.0.0.1'): Promise<string> {
  const reply = await command(port, ['ROLE'], host).catch(() => []);
  return Array.isArray(reply) ? String(reply[0]) : '';
}
