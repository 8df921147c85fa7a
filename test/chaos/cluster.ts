import { setTimeout as sleep } from 'node:timers/promises';
import { NginxProcess } from '../helpers/nginx.js';
import { NodeProcess } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';
import { DropProxy } from './proxy.js';

export interface ClusterOptions {
  nodes: number;
  threads: number;
  /** How long a dropped reply is held before its connection is cut (past the nodes' deadline). */
  dropHoldMs: number;
  /** Extra `ticket-spike node` flags. */
  nodeArgs: string[];
}

/**
 * The system under chaos: one real redis-server (AOF, appendfsync always), the drop proxy in front of it,
 * N real nodes talking to Redis through the proxy, and real nginx (the project's template) in front of
 * the nodes. Every process is ours and is killed by its pid.
 */
export class ChaosCluster {
  private constructor(
    readonly redis: RedisServer,
    readonly proxy: DropProxy,
    readonly nodes: (NodeProcess | undefined)[],
    readonly nodePorts: number[],
    readonly nginx: NginxProcess,
    private readonly options: ClusterOptions,
  ) {}

  static async start(options: ClusterOptions): Promise<ChaosCluster> {
    // Whatever started is stopped again when a later part fails: a half-built cluster must not outlive us.
    const started: { stop(): Promise<unknown> }[] = [];
    try {
      const redis = await RedisServer.start();
      started.push(redis);
      const proxy = await DropProxy.start(redis.port, options.dropHoldMs);
      started.push(proxy);
      const nodes = await Promise.all(
        Array.from({ length: options.nodes }, async (_, i) => {
          const node = await startNode(proxy.url, options, undefined, i);
          started.push({ stop: () => node.stop(5000) });
          return node;
        }),
      );
      const nginx = await NginxProcess.start({
        upstreams: nodes.map((n, i) => ({ host: '127.0.0.1', port: n.port, weight: i + 1 })),
        workerProcesses: 1,
      });
      return new ChaosCluster(redis, proxy, nodes, nodes.map((n) => n.port), nginx, options);
    } catch (err) {
      for (const part of started.reverse()) await part.stop().catch(() => {});
      throw err;
    }
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
    this.nodes[index] = await startNode(this.proxy.url, this.options, this.nodePorts[index], index);
  }

  /** SIGKILL Redis, then restart it on the same port and AOF: every reply it sent was fsynced first. */
  async killRedis(downMs: number): Promise<void> {
    await this.redis.kill('SIGKILL');
    await sleep(downMs);
    await this.redis.restart();
  }

  /** SIGSTOP Redis for `pauseMs` (past the nodes' deadline), then SIGCONT: queued scripts run late. */
  async pauseRedis(pauseMs: number): Promise<void> {
    const pid = this.redis.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(pauseMs);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }

  async stop(): Promise<void> {
    await this.nginx.stop();
    await Promise.all(this.nodes.flatMap((n) => (n === undefined ? [] : [n.stop(5000)])));
    await this.proxy.stop();
    await this.redis.stop();
  }
}

function startNode(redisUrl: string, options: ClusterOptions, port: number | undefined, index: number): Promise<NodeProcess> {
  return NodeProcess.start({
    redisUrl,
    threads: options.threads,
    port,
    args: ['--id', `chaos-${index + 1}`, '--weight', String(index + 1), '--total-weight', String((options.nodes * (options.nodes + 1)) / 2), ...options.nodeArgs],
  });
}
