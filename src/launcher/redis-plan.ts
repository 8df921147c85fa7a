import { join } from 'node:path';
import type { ChildRole } from './children.js';
import { embeddedRedisSpec, embeddedRedisUrl, redisPassword } from './embedded-redis.js';
import { loadTopology, replicatedRedisSpecs, TOPOLOGY_FILE } from './embedded-replicas.js';
import { anyFreePort, assertPortsFree, isPortFree } from './ports.js';
import type { ChildSpec } from './supervisor.js';

export interface RedisPlanOptions {
  binary: string;
  /** The (master's) port. */
  port: number;
  varDir: string;
  logDir: string;
  /** 0: one Redis; N: a master, N replicas and three Sentinels. */
  replicas: number;
  downAfterMs: number;
  /** Ports other children want (nginx, the nodes). */
  taken: number[];
}

export interface RedisPlan {
  /** Started group after group, the children of a group at once. */
  startGroups: Array<Array<{ role: ChildRole; spec: ChildSpec }>>;
  /** What the nodes, the workers and the CLI connect to (with the password: up.json only, never printed). */
  url: string;
  /** The (first) data node's dir, for the summary. */
  dataDir: string;
  /** Replicas a write must reach before it is confirmed (CONFIRM_REPLICAS for the nodes and workers). */
  confirmReplicas: number;
}

/**
 * `up`'s embedded Redis: one redis-server (src/launcher/embedded-redis.ts), or with --redis-replicas N a master, N
 * replicas and three Sentinels (src/launcher/embedded-replicas.ts) whose writes are confirmed once all N replicas
 * have them — the rule that keeps a confirmed sale through any failover (docs/architecture.md "Replicated authority").
 */
export async function embeddedRedisPlan(o: RedisPlanOptions): Promise<RedisPlan> {
  const password = redisPassword(o.varDir);
  const dataDir = join(o.varDir, 'redis');
  if (o.replicas === 0) {
    const spec = embeddedRedisSpec({ binary: o.binary, port: o.port, dataDir, logFile: join(o.logDir, 'redis.log'), password });
    return { startGroups: [[{ role: 'redis', spec }]], url: embeddedRedisUrl(o.port, password), dataDir, confirmReplicas: 0 };
  }
  const topology = await loadTopology(o.varDir, o.replicas, async () => ({
    data: [o.port, ...(await freePorts(o.replicas, o.port + 1, o.taken))],
    // Sentinel's customary 26379 is Redis's 6379 + 20000: the same offset from the master's port.
    sentinels: await freePorts(3, o.port + 20_000, o.taken),
  }));
  const others = [...topology.data, ...topology.sentinels].filter((p) => p !== o.port);
  await assertPortsFree(others.map((port) => ({ port, what: `the embedded Redis topology (${TOPOLOGY_FILE})` })));
  const specs = replicatedRedisSpecs({ binary: o.binary, varDir: o.varDir, logDir: o.logDir, password, topology, downAfterMs: o.downAfterMs });
  return {
    // The data nodes at once (each comes back as what its config file says it was), then the Sentinels.
    startGroups: [specs.data.map((spec) => ({ role: 'redis' as const, spec })), specs.sentinels.map((spec) => ({ role: 'sentinel' as const, spec }))],
    url: specs.url,
    dataDir,
    confirmReplicas: o.replicas,
  };
}

/** `count` free ports from `from` on (skipping `taken`), else any free ones. */
async function freePorts(count: number, from: number, taken: number[]): Promise<number[]> {
  const out: number[] = [];
  for (let port = from; out.length < count && port <= 65_535 && port < from + 100; port++) {
    if (!taken.includes(port) && (await isPortFree(port))) out.push(port);
  }
  while (out.length < count) out.push(await anyFreePort());
  return out;
}
