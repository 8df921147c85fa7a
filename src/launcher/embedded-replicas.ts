import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sentinelTarget } from '../rules/redis-target.js';
import { LaunchError } from './errors.js';
import { redisPing, waitUntil } from './probe.js';
import type { ChildSpec } from './supervisor.js';

/** The master the embedded Sentinels monitor. */
export const EMBEDDED_MASTER_NAME = 'ticket-spike';

/** Where `up --redis-replicas N` keeps its topology: which port is which node, fixed at the first start. */
export const TOPOLOGY_FILE = 'redis-topology.json';

export interface Topology {
  /** Data nodes: the first was master when the topology was made (who is master now, the Sentinels know). */
  data: number[];
  sentinels: number[];
}

export interface ReplicatedRedisOptions {
  binary: string;
  varDir: string;
  logDir: string;
  password: string;
  topology: Topology;
  /** Sentinel's down-after-milliseconds: how long a silent master is waited for before a failover. */
  downAfterMs: number;
}

/**
 * The topology of this var dir: made once (`make` picks the ports), then the same at every start — each data
 * node's config file (which Redis and the Sentinels rewrite with every change of role) names its port, so the
 * ports must not move. A topology with another number of replicas is refused: its data is not this run's.
 */
export function loadTopology(varDir: string, replicas: number, make: () => Promise<Topology>): Promise<Topology> {
  const file = join(varDir, TOPOLOGY_FILE);
  if (!existsSync(file)) {
    return make().then((t) => {
      writeFileSync(file, JSON.stringify(t, null, 2) + '\n', { mode: 0o600 });
      return t;
    });
  }
  const t = JSON.parse(readFileSync(file, 'utf8')) as Topology;
  if (!Array.isArray(t.data) || t.data.length !== replicas + 1 || !Array.isArray(t.sentinels)) {
    throw new LaunchError(
      'START_FAILED',
      `${file} describes ${Array.isArray(t.data) ? t.data.length - 1 : '?'} replicas, not --redis-replicas ${replicas}: start with the number it was made with, or --fresh for a new one`,
    );
  }
  return Promise.resolve(t);
}

/** Writes a config file once; later starts keep the one Redis or Sentinel rewrote (CONFIG REWRITE, failovers). */
function configOnce(file: string, lines: string[]): void {
  if (!existsSync(file)) writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * A master, its replicas and three Sentinels (issue 19), each a supervised child of `up`, all on loopback behind
 * the embedded password. Every data node runs from its own config file — AOF with appendfsync always, no RDB,
 * `min-replicas-to-write 1` (a master cut off from every replica takes no writes) — and the file is the truth of
 * its role after the first start: Sentinel rewrites it at every failover, so a node restarted by the supervisor
 * comes back as what it last was (a demoted master as a replica), never as a master with old data. The password is
 * in the files (mode 0600, in 0700 dirs), never in argv.
 */
export function replicatedRedisSpecs(o: ReplicatedRedisOptions): { data: ChildSpec[]; sentinels: ChildSpec[]; url: string } {
  const [masterPort] = o.topology.data;
  const data = o.topology.data.map((port, i) => {
    const name = i === 0 ? 'redis' : `redis-replica-${i}`;
    const dir = join(o.varDir, i === 0 ? 'redis' : `redis-replica-${i}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const conf = join(dir, 'redis.conf');
    configOnce(conf, [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode yes',
      `dir ${dir}`,
      'appendonly yes',
      'appendfsync always',
      'save ""',
      'daemonize no',
      'logfile ""',
      'loglevel notice',
      `requirepass ${o.password}`,
      `masterauth ${o.password}`,
      // A new replica syncs at once (the default waits 5 s for more replicas to share one transfer).
      'repl-diskless-sync-delay 0',
      'min-replicas-to-write 1',
      'min-replicas-max-lag 10',
      ...(i === 0 ? [] : [`replicaof 127.0.0.1 ${masterPort}`]),
    ]);
    return redisChild(name, o, conf, port, join(o.logDir, `${name}.log`));
  });
  const quorum = Math.floor(o.topology.sentinels.length / 2) + 1;
  const sentinels = o.topology.sentinels.map((port, i) => {
    const name = `sentinel-${i + 1}`;
    const dir = join(o.varDir, name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const conf = join(dir, 'sentinel.conf');
    configOnce(conf, [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'daemonize no',
      'logfile ""',
      `requirepass ${o.password}`,
      `sentinel monitor ${EMBEDDED_MASTER_NAME} 127.0.0.1 ${masterPort} ${quorum}`,
      `sentinel auth-pass ${EMBEDDED_MASTER_NAME} ${o.password}`,
      `sentinel down-after-milliseconds ${EMBEDDED_MASTER_NAME} ${o.downAfterMs}`,
      `sentinel failover-timeout ${EMBEDDED_MASTER_NAME} 30000`,
      `sentinel parallel-syncs ${EMBEDDED_MASTER_NAME} 1`,
    ]);
    return redisChild(name, o, conf, port, join(o.logDir, `${name}.log`), true);
  });
  const url = sentinelTarget(o.topology.sentinels.map((port) => ({ host: '127.0.0.1', port })), EMBEDDED_MASTER_NAME, o.password);
  return { data, sentinels, url };
}

function redisChild(name: string, o: ReplicatedRedisOptions, conf: string, port: number, logFile: string, sentinel = false): ChildSpec {
  return {
    name,
    command: o.binary,
    args: sentinel ? [conf, '--sentinel'] : [conf],
    // Redis replaces its argv with its title: "<binary> 127.0.0.1:<port>" (and " [sentinel]").
    cmdlineHas: [basename(o.binary), `127.0.0.1:${port}`],
    logFile,
    // SIGTERM: a data node fsyncs its AOF and exits; a Sentinel saves its config and exits.
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    ready: (signal) => waitUntil(() => redisPing(port, '127.0.0.1', o.password), signal, 25),
    readyTimeoutMs: 30_000,
  };
}
