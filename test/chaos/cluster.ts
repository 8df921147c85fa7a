import { setTimeout as sleep } from 'node:timers/promises';
import { NginxProcess } from '../helpers/nginx.js';
import { NodeProcess } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';
import { SentinelGroup } from '../helpers/redis-sentinel-group.js';
import { sentinelTarget } from '../../src/rules/redis-target.js';
import type { HostPlace } from '../helpers/hosts.js';
import { DropProxy } from './proxy.js';
import { appHost, FRONT, HostsLayout } from './hosts-layout.js';

export interface ClusterOptions {
  nodes: number;
  threads: number;
  /** How long a dropped reply is held before its connection is cut (past the nodes' deadline). */
  dropHoldMs: number;
  /** Extra `ticket-spike node` flags. */
  nodeArgs: string[];
  /**
   * A master, two replicas and three Sentinels instead of one Redis behind the drop proxy; the nodes reach the
   * master through the Sentinels and confirm a write once both replicas have it (--confirm-replicas 2).
   */
  replicated?: boolean;
  /**
   * Across hosts (network namespaces, test/chaos/hosts-layout.ts): nginx on a front host, each node on its own app
   * host with a Redis data node and a Sentinel, PostgreSQL and the order worker on a database host; the nodes
   * confirm on every replica. Implies the replicated authority (its faults work here too).
   */
  hosts?: boolean;
}

/** What the nodes and the auditor talk to: one Redis behind the drop proxy, or a replicated one. */
export type Authority =
  | { kind: 'single'; redis: RedisServer; proxy: DropProxy }
  | { kind: 'replicated'; group: SentinelGroup }
  | { kind: 'hosts'; group: SentinelGroup; layout: HostsLayout };

/** Sentinel's down-after in chaos runs: a dead or hung master is replaced within a few seconds. */
export const CHAOS_DOWN_AFTER_MS = 1000;

/**
 * The system under chaos: one real redis-server (AOF, appendfsync always) with the drop proxy in front of it —
 * or a replicated Redis (a master, two replicas, three Sentinels) — N real nodes talking to it, and real nginx
 * (the project's template) in front of the nodes. Every process is ours and is killed by its pid.
 */
export class ChaosCluster {
  private constructor(
    readonly authority: Authority,
    readonly nodes: (NodeProcess | undefined)[],
    readonly nodePorts: number[],
    readonly nginx: NginxProcess,
    private readonly options: ClusterOptions,
    /** Where the nodes send their Redis calls (through the proxy, or to the Sentinels' master). */
    private readonly nodeRedisUrl: string,
  ) {}

  static async start(options: ClusterOptions): Promise<ChaosCluster> {
    // Whatever started is stopped again when a later part fails: a half-built cluster must not outlive us.
    const started: { stop(): Promise<unknown> }[] = [];
    try {
      let authority: Authority;
      let nodeRedisUrl: string;
      let nodeArgs = options.nodeArgs;
      if (options.hosts === true) {
        const layout = await HostsLayout.start(options.nodes, CHAOS_DOWN_AFTER_MS);
        started.push(layout);
        authority = { kind: 'hosts', group: layout.group, layout };
        nodeRedisUrl = layout.redisUrl;
        nodeArgs = ['--confirm-replicas', String(options.nodes - 1), '--confirm-timeout-ms', '800', '--database', layout.postgres.url, ...nodeArgs];
      } else if (options.replicated === true) {
        const group = await SentinelGroup.start({ replicas: 2, sentinels: 3, downAfterMs: CHAOS_DOWN_AFTER_MS });
        started.push(group);
        authority = { kind: 'replicated', group };
        nodeRedisUrl = sentinelTarget(group.sentinelAddresses, group.masterName);
        nodeArgs = ['--confirm-replicas', '2', '--confirm-timeout-ms', '800', ...nodeArgs];
      } else {
        const redis = await RedisServer.start();
        started.push(redis);
        const proxy = await DropProxy.start(redis.port, options.dropHoldMs);
        started.push(proxy);
        authority = { kind: 'single', redis, proxy };
        nodeRedisUrl = proxy.url;
      }
      const nodeOptions = { ...options, nodeArgs };
      const nodes = await Promise.all(
        Array.from({ length: options.nodes }, async (_, i) => {
          const node = await startNode(nodeRedisUrl, nodeOptions, undefined, i, placeOf(authority, i));
          started.push({ stop: () => node.stop(5000) });
          return node;
        }),
      );
      const front = authority.kind === 'hosts' ? authority.layout.place(FRONT) : undefined;
      const nginx = await NginxProcess.start({
        upstreams: nodes.map((n, i) => ({ host: n.address, port: n.port, weight: i + 1 })),
        workerProcesses: 1,
        // Buyers come from the test's namespace: through the bridge, from the harness's own address.
        ...(front !== undefined ? { host: front, rateExempt: [authority.kind === 'hosts' ? authority.layout.hosts.rootAddress : '127.0.0.1'] } : {}),
      });
      return new ChaosCluster(authority, nodes, nodes.map((n) => n.port), nginx, nodeOptions, nodeRedisUrl);
    } catch (err) {
      for (const part of started.reverse()) await part.stop().catch(() => {});
      throw err;
    }
  }

  /** Where the auditor reads and writes: the Redis itself (not the proxy), or the master through the Sentinels. */
  get auditorUrl(): string {
    return this.authority.kind === 'single' ? this.authority.redis.url : this.nodeRedisUrl;
  }

  describe(): string {
    if (this.authority.kind === 'hosts') {
      const { hosts } = this.authority.layout;
      return `hosts ${hosts.names.map((n) => `${n} ${hosts.address(n)}`).join(', ')}`;
    }
    return this.authority.kind === 'single'
      ? `redis ${this.authority.redis.port}, proxy ${this.authority.proxy.port}`
      : `master and replicas ${this.authority.group.nodes.map((n) => n.port).join(',')}, Sentinels ${this.authority.group.sentinelAddresses.map((a) => a.port).join(',')}`;
  }

  /** The single Redis and its proxy; a fault of the one-Redis layout asks for them. */
  single(): { redis: RedisServer; proxy: DropProxy } {
    if (this.authority.kind !== 'single') throw new Error('this fault needs the one-Redis layout (no --replicated)');
    return this.authority;
  }

  /** The Sentinel group; a fault of the replicated layout asks for it. */
  replicated(): SentinelGroup {
    if (this.authority.kind === 'single') throw new Error('this fault needs the replicated layout (--replicated or --hosts)');
    return this.authority.group;
  }

  /** The layout across hosts, when this is one. */
  layout(): HostsLayout | undefined {
    return this.authority.kind === 'hosts' ? this.authority.layout : undefined;
  }

  /** The hosts; a fault of the layout across hosts asks for them. */
  hosts(): HostsLayout {
    if (this.authority.kind !== 'hosts') throw new Error('this fault needs the layout across hosts (--hosts)');
    return this.authority.layout;
  }

  /**
   * A power loss on app host `index`: its node, Redis data node and Sentinel killed at once; the host comes back
   * after `downMs` (its Redis and Sentinel first, then the node on its port).
   */
  async hostPowerLoss(index: number, downMs: number): Promise<void> {
    const layout = this.hosts();
    const node = this.nodes[index];
    this.nodes[index] = undefined;
    await layout.powerLoss(index, downMs);
    await node?.wait();
    this.nodes[index] = await startNode(this.nodeRedisUrl, this.options, this.nodePorts[index], index, placeOf(this.authority, index));
  }

  /** The node on app host `index` (to buy from inside that host). */
  node(index: number): NodeProcess | undefined {
    return this.nodes[index];
  }

  get url(): string {
    return this.nginx.url;
  }

  /** SIGKILL one node, then start it again on its port (nginx routes around it meanwhile). */
  async killNode(index: number, downMs: number): Promise<void> {
    const node = this.nodes[index];
    if (node === undefined) return;
    this.nodes[index] = undefined;
    node.child.kill('SIGKILL');
    await node.wait();
    await sleep(downMs);
    this.nodes[index] = await startNode(this.nodeRedisUrl, this.options, this.nodePorts[index], index, placeOf(this.authority, index));
  }

  /** SIGKILL Redis, then restart it on the same port and AOF: every reply it sent was fsynced first. */
  async killRedis(downMs: number): Promise<void> {
    const { redis } = this.single();
    await redis.kill('SIGKILL');
    await sleep(downMs);
    await redis.restart();
  }

  /** SIGSTOP Redis for `pauseMs` (past the nodes' deadline), then SIGCONT: queued scripts run late. */
  async pauseRedis(pauseMs: number): Promise<void> {
    const pid = this.single().redis.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(pauseMs);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }

  /**
   * SIGKILL the master; once the Sentinels named another one, start the old one again on its data after
   * `downMs` (it comes back thinking it is master; the Sentinels turn it into a replica of the new one).
   */
  async killMaster(downMs: number): Promise<string> {
    const group = this.replicated();
    const old = await group.master();
    const t0 = Date.now();
    await old.kill('SIGKILL');
    const next = await group.waitForNewMaster(old);
    const tookMs = Date.now() - t0;
    await sleep(downMs);
    await old.restart();
    return `SIGKILL master ${old.port}; ${next.port} master after ${tookMs} ms; the old one back ${downMs} ms later`;
  }

  /** SIGSTOP the master past the Sentinels' down-after, then SIGCONT: it must come back as a replica. */
  async pauseMaster(pauseMs: number): Promise<string> {
    const group = this.replicated();
    const old = await group.master();
    process.kill(old.pid!, 'SIGSTOP');
    let next = old;
    try {
      next = await group.waitForNewMaster(old);
      await sleep(pauseMs);
    } finally {
      process.kill(old.pid!, 'SIGCONT');
    }
    return `SIGSTOP master ${old.port}; ${next.port} master; SIGCONT after ${pauseMs} ms more`;
  }

  /** SENTINEL FAILOVER: a planned switch, the old master kept as a replica. */
  async plannedFailover(): Promise<string> {
    const group = this.replicated();
    const old = await group.master();
    await group.failover();
    const next = await group.waitForNewMaster(old);
    return `SENTINEL FAILOVER: ${old.port} -> ${next.port}`;
  }

  /** SIGKILL one replica, started again after `downMs`: confirmations go on with the other. */
  async killReplica(index: number, downMs: number): Promise<string> {
    const group = this.replicated();
    const master = await group.master();
    const replicas = group.nodes.filter((n) => n !== master && n.pid !== undefined);
    const victim = replicas[index % replicas.length];
    await victim.kill('SIGKILL');
    await sleep(downMs);
    await victim.restart();
    return `SIGKILL replica ${victim.port}, back after ${downMs} ms`;
  }

  async stop(): Promise<void> {
    await this.nginx.stop();
    await Promise.all(this.nodes.flatMap((n) => (n === undefined ? [] : [n.stop(5000)])));
    if (this.authority.kind === 'single') {
      await this.authority.proxy.stop();
      await this.authority.redis.stop();
    } else if (this.authority.kind === 'hosts') {
      await this.authority.layout.stop();
    } else {
      await this.authority.group.stop();
    }
  }
}

function placeOf(authority: Authority, index: number): HostPlace | undefined {
  return authority.kind === 'hosts' ? authority.layout.place(appHost(index)) : undefined;
}

function startNode(redisUrl: string, options: ClusterOptions, port: number | undefined, index: number, host?: HostPlace): Promise<NodeProcess> {
  return NodeProcess.start({
    redisUrl,
    ...(host !== undefined ? { host } : {}),
    threads: options.threads,
    port,
    args: ['--id', `chaos-${index + 1}`, '--weight', String(index + 1), '--total-weight', String((options.nodes * (options.nodes + 1)) / 2), ...options.nodeArgs],
  });
}
