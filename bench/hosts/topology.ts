/**
 * Question: what does the network hop between hosts cost ticket-spike, and what does each part cost per answer? The
 * sale path (every request a new buyer, stock larger than the load) and the sold-out path (a sale of 1 ticket
 * already sold: every answer "sold out" from the nodes' memory), through a front host (nginx in its own network
 * namespace) with 1, 2 and 3 app hosts (one `ticket-spike node --threads 1` each) and Redis on its own host (one
 * redis-server, AOF appendfsync always, as `up`'s embedded Redis) — and the same processes on loopback, no
 * namespaces, measured right after it, so the hop shows as a ratio within one run (issue 20). With --replicas 2,
 * also a master and two replicas on hosts of their own, the nodes confirming with WAIT 2.
 *
 * Run (root, for the namespaces; build first: the nodes run from dist/):
 *   npx tsc -b && node --import tsx --conditions=ticket-spike-source bench/hosts/topology.ts
 *     [--seconds 8] [--warm-s 2] [--connections 100] [--apps 1,2,3] [--placements loopback,hosts]
 *     [--replicas 0|2] [--nginx-workers 1] [--front-tw-reuse] [--out bench/results/hosts-topology.json]
 * Hosts (test/helpers/hosts.ts): front, redis (redis2, redis3 with --replicas 2), app1..app3, one /24 on a bridge;
 * wrk runs in the root namespace (the harness's .1) against the front host's address, 2 threads, 100 connections,
 * bench/wrk/buyers.lua (each purchase a new buyer, answers sorted by code, wrk's latency histogram). nginx is the
 * project's template (test/helpers/nginx.ts, as `ticket-spike nginx-conf` renders it), 1 worker, per-address limits
 * off and the root address exempt. Per layout, number of app hosts and placement: a fresh Redis, the nodes, nginx;
 * the sale path (2 s warm-up, then the measured load), then the sold-out path (sale of 1 sold through nginx, 1.5 s
 * for every node to learn it, 2 s warm-up, the measured load); everything stopped; loopback and hosts alternate.
 * Measured per point: answered/s, committed/s, p50/p99/p99.9, errors; CPU from /proc/<pid>/stat (utime+stime) of
 * every node and of nginx's master and workers, Redis's from INFO cpu (used_cpu_sys + used_cpu_user), before and
 * after the measured load — node µs per answer (sale path: per committed purchase), Redis µs per purchase, nginx µs
 * per request — Redis script calls per answer (0 on the sold-out path: answered from memory), and the machine's busy
 * cores and softirq from /proc/stat (the kernel's share of the hop). Everything stops by itself: wrk's -d, every
 * start has a timeout, and a cap on the whole run; processes are stopped by pid and the hosts destroyed in finally
 * (also on Ctrl-C). Writes bench/results/hosts-topology.json and prints a markdown table.
 * On two cores for everything (wrk, nginx, the nodes, Redis, the kernel's forwarding) more app hosts add no CPU:
 * the figures are the cost of the hop and of the topology, not how it scales.
 * --front-tw-reuse sets net.ipv4.tcp_tw_reuse=1 in the front host, as docs/deploy.md tells operators to (below: why).
 *
 * Measured (`--replicas 2`, the defaults otherwise, 8 s a point, 2 cores otherwise idle — the CPU no measured
 * process was charged with was 0.00-0.07 cores at every point; bench/results/hosts-topology.json):
 *   The hop costs the sale path nothing measurable: hosts / loopback 0.93-1.10x purchases/s with one Redis and
 *   0.94-1.29x with master + 2 replicas (p99 0.82-1.15x); a purchase waits for Redis's fsync, not for the bridge.
 *   On hosts, one Redis: 9,036 / 6,612 / 6,629 purchases/s with 1 / 2 / 3 app hosts (p99 18.4 / 28.9 / 27.6 ms);
 *   master + 2 replicas, WAIT 2: 7,238 / 5,839 / 5,043 (p99 23.2 / 30.9 / 34.3 ms). More nodes are slower here, and
 *   not only for want of cores: each node batches only its own purchases, so batches shrink (Redis script calls per
 *   purchase 0.040 / 0.076 / 0.105) and the cost per purchase grows — Redis 38.5 / 53.4 / 52.8 µs, nodes 59 / 112 /
 *   126 µs in all.
 *   Sold out with 3 app hosts: 15,987 answers/s on hosts against 17,755 on loopback (0.90x, p99 14.8 vs 13.1 ms);
 *   with the replicas 20,703 vs 21,120 (0.98x). With ONE app host the front host ran out of ports: 9,825/s and p99
 *   111 ms against 20,585/s and 11 ms (0.48x; the replicas layout 0.38x; with 2 app hosts 0.94x and 0.69x). nginx
 *   keeps 64 idle upstream connections per worker, fewer than 100 clients need, so it opens ~2,600 connections a
 *   second to the node (measured apart: TIME_WAIT 0 -> 10,659 in 4 s at 21,400 answers/s); their TIME_WAIT fills
 *   the 28,232 ephemeral ports toward that one address in ~10 s, and answers/s then fell to 3,500-5,000. On loopback
 *   Linux reuses those ports (net.ipv4.tcp_tw_reuse defaults to 2: loopback only); across hosts it does not, and
 *   more app hosts spread the ports over more addresses. With --front-tw-reuse (`--apps 1 --replicas 2
 *   --front-tw-reuse`, one run right after): sold out 21,134 vs 23,105/s (0.91x, p99 9.9 vs 10.5 ms), replicas
 *   21,933 vs 21,926 (1.00x); sale path 0.97x and 1.05x.
 *   Sizing, per answer, that run on hosts: a node 26 µs of CPU per sold-out answer (24 on loopback), 45 µs per
 *   purchase with one Redis and 62 with WAIT 2; Redis 27 µs per purchase (one Redis), the master 36 + each replica
 *   20 (WAIT 2), 0.3 µs per sold-out answer (0.0006 script calls per answer: answered from the nodes' memory); nginx
 *   39-45 µs per request with one worker, more than the node; the hop's own CPU: node +9 %, nginx +12 %, softirq
 *   0.43 vs 0.36 cores on the sold-out path. Bytes per answer through each link (rx + tx): the front host's
 *   1,290-1,390 (buyers' side and nodes' side), an app host's 730-860, the Redis host's 120-160 per purchase with
 *   one Redis, 1,000-1,120 with two replicas (the replication stream: 420-470 B per purchase), ~0 per sold-out answer.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { stopAllChildren } from '../lib/children.js';
import type { LoadResult } from '../lib/load-result.js';
import { runWrk } from '../lib/run-wrk.js';
import { readRoster } from '../../src/redis/node-roster.js';
import { Hosts, hostsAvailable, type HostPlace } from '../../test/helpers/hosts.js';
import { NginxProcess } from '../../test/helpers/nginx.js';
import { NodeProcess, http } from '../../test/helpers/node-process.js';
import { RedisServer } from '../../test/helpers/redis-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function text(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
function num(name: string, def: number, min: number, max: number): number {
  const value = Number(text(name, String(def)));
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`--${name}: a whole number ${min}..${max}, got ${text(name, '')}`);
  return value;
}
const SECONDS = num('seconds', 8, 1, 600);
const WARM_S = num('warm-s', 2, 0, 60);
const CONNECTIONS = num('connections', 100, 1, 10_000);
const NGINX_WORKERS = num('nginx-workers', 1, 1, 64);
const REPLICAS = num('replicas', 0, 0, 2);
if (REPLICAS === 1) throw new RangeError('--replicas: 0 (one Redis) or 2 (also a master and two replicas, WAIT 2)');
const APPS = text('apps', '1,2,3').split(',').map(Number);
if (APPS.some((n) => !Number.isInteger(n) || n < 1 || n > 3)) throw new RangeError('--apps: a list of 1..3');
const PLACEMENTS = text('placements', 'loopback,hosts').split(',') as Placement[];
if (PLACEMENTS.some((p) => p !== 'loopback' && p !== 'hosts')) throw new RangeError('--placements: loopback,hosts or one of them');
const OUT = text('out', 'bench/results/hosts-topology.json');
/** net.ipv4.tcp_tw_reuse=1 in the front host (docs/deploy.md): nginx's new connections to a node may reuse TIME_WAIT ports. */
const FRONT_TW_REUSE = process.argv.includes('--front-tw-reuse');
const WRK_THREADS = 2;
const ADMIN = 'hosts-topology-bench-admin';
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

type Placement = 'loopback' | 'hosts';
type Path = 'sale path' | 'sold out';
interface Layout {
  name: string;
  replicas: number;
}
const LAYOUTS: Layout[] = [{ name: 'one Redis, always', replicas: 0 }, ...(REPLICAS > 0 ? [{ name: `master + ${REPLICAS} replicas, always, WAIT ${REPLICAS}`, replicas: REPLICAS }] : [])];

// ---------------------------------------------------------------------------------------------------------------
// Clean-up: every stack's stop is registered until it ran; Ctrl-C, SIGTERM and the run's cap run them all.

const stacks = new Set<() => Promise<void>>();
let hosts: Hosts | undefined;
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await stopAllChildren(); // wrk
    for (const stop of [...stacks]) await stop().catch(() => undefined);
    await hosts?.destroy().catch(() => undefined);
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Hosts' own listener (it goes first) has torn the namespaces down already; this stops what ran on loopback.
  process.once(signal, () => {
    console.error(`\n${signal}: stopping every process of this run`);
    void cleanUp().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// CPU readings.

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat); 0 when it is gone. */
function ticks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * CPU of this process's children that have ended and been waited for (cutime + cstime, fields 16 and 17), in ticks:
 * across one measured load the only child that ends is wrk, so the difference is wrk's own CPU.
 */
function reapedChildrenTicks(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[13]) + Number(fields[14]);
}

/** A process and every process below it (nginx's master and its workers). */
function withDescendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** The machine's CPU: busy and softirq jiffies (all cores), from the first line of /proc/stat. */
function machine(): { busy: number; softirq: number } {
  // cpu  user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq + steal, softirq };
}

async function redisCpu(client: Redis): Promise<{ cpuS: number; scriptCalls: number; replOffset: number }> {
  const [cpu, stats, replication] = await Promise.all([client.info('cpu'), client.info('commandstats'), client.info('replication')]);
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
  let scriptCalls = 0;
  for (const m of stats.matchAll(/^cmdstat_(evalsha|eval|fcall|evalsha_ro|eval_ro):calls=(\d+)/gm)) scriptCalls += Number(m[2]);
  return { cpuS: field(cpu, 'used_cpu_sys') + field(cpu, 'used_cpu_user'), scriptCalls, replOffset: field(replication, 'master_repl_offset') };
}

/** Bytes through a host's link (its veth's root end: rx + tx), for the hosts placement. */
function linkBytes(name: string): number {
  if (hosts === undefined) return 0;
  const dir = `/sys/class/net/${hosts.veth(name)}/statistics`;
  return Number(readFileSync(`${dir}/rx_bytes`, 'utf8')) + Number(readFileSync(`${dir}/tx_bytes`, 'utf8'));
}

interface Sample {
  at: number;
  nodeTicks: number;
  nginxTicks: number;
  wrkTicks: number;
  redis: { cpuS: number; scriptCalls: number; replOffset: number };
  replicasCpuS: number;
  /** Bytes through the front host's, the app hosts' and the Redis host's links (hosts placement only). */
  link: { front: number; apps: number; redis: number };
  machine: { busy: number; softirq: number };
}

async function sample(stack: Stack): Promise<Sample> {
  const [redis, ...replicas] = await Promise.all([redisCpu(stack.client), ...stack.replicaClients.map(redisCpu)]);
  return {
    at: performance.now(),
    nodeTicks: stack.nodes.reduce((sum, n) => sum + ticks(n.pid ?? -1), 0),
    nginxTicks: withDescendants(stack.nginx.pid ?? -1).reduce((sum, p) => sum + ticks(p), 0),
    wrkTicks: reapedChildrenTicks(),
    redis,
    replicasCpuS: replicas.reduce((sum, r) => sum + r.cpuS, 0),
    link:
      stack.placement === 'hosts'
        ? { front: linkBytes('front'), apps: stack.nodes.reduce((sum, _, i) => sum + linkBytes(`app${i + 1}`), 0), redis: linkBytes('redis') }
        : { front: 0, apps: 0, redis: 0 },
    machine: machine(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// One stack: Redis (and its replicas), the nodes, nginx — on loopback or each on its own host.

interface Stack {
  placement: Placement;
  redis: RedisServer;
  client: Redis;
  replicaClients: Redis[];
  nodes: NodeProcess[];
  nginx: NginxProcess;
  stop(): Promise<void>;
}

async function startStack(placement: Placement, apps: number, layout: Layout): Promise<Stack> {
  const place = (name: string): HostPlace | undefined => (placement === 'hosts' ? hosts!.place(name) : undefined);
  const stops: Array<() => Promise<unknown>> = [];
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // nginx first (no new buyers), the nodes (they drain), the replicas, the master last.
      for (const s of [...stops].reverse()) await s().catch((err: Error) => console.error(`stop: ${err.message}`));
      stacks.delete(stop);
      if (placement === 'hosts') {
        // Nothing of this stack may be left in the hosts the next stack uses.
        for (const name of hosts!.names) {
          if (hosts!.pids(name).length > 0) {
            console.error(`host ${name}: ${hosts!.pids(name).length} process(es) left after the stop; killed`);
            await hosts!.killAll(name);
          }
        }
      }
    })();
    return stopped;
  };
  stacks.add(stop);
  try {
    const redis = await RedisServer.start({ host: place('redis') });
    stops.push(() => redis.stop());
    const client = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    stops.push(async () => client.disconnect());
    const replicaClients: Redis[] = [];
    for (let i = 0; i < layout.replicas; i++) {
      const replica = await RedisServer.start({
        host: place(`redis${i + 2}`),
        args: ['--replicaof', redis.address, String(redis.port), '--repl-diskless-sync-delay', '0'],
      });
      stops.splice(1, 0, () => replica.stop()); // stopped before the master
      const c = new Redis(replica.url, { maxRetriesPerRequest: 1 });
      stops.push(async () => c.disconnect());
      replicaClients.push(c);
    }
    if (layout.replicas > 0) await waitReplicasOnline(client, layout.replicas);
    const nodes: NodeProcess[] = [];
    const started = await Promise.allSettled(
      Array.from({ length: apps }, (_, i) =>
        NodeProcess.start({
          host: place(`app${i + 1}`),
          redisUrl: redis.url,
          threads: 1,
          env: { ADMIN_TOKEN: ADMIN },
          args: layout.replicas > 0 ? ['--confirm-replicas', String(layout.replicas)] : [],
        }).then((node) => {
          nodes.push(node);
          stops.push(() => node.stop());
          return node;
        }),
      ),
    );
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await waitRoster(client, apps);
    const nginx = await NginxProcess.start({
      host: place('front'),
      upstreams: nodes.map((n) => ({ host: n.address, port: n.port, weight: 1 })),
      workerProcesses: NGINX_WORKERS,
      ipRate: 0,
      rateExempt: placement === 'hosts' ? [`${hosts!.rootAddress}/32`] : ['127.0.0.0/8'],
    });
    stops.push(() => nginx.stop());
    return { placement, redis, client, replicaClients, nodes, nginx, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitReplicasOnline(master: Redis, replicas: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const info = await master.info('replication');
    if ((info.match(/^slave\d+:.*state=online/gm) ?? []).length >= replicas) return;
    await sleep(100);
  }
  throw new Error(`the master has not ${replicas} replicas online after 20 s`);
}

/** Every node in the node roster (each beats every second), so the split of the stock is the final one. */
async function waitRoster(client: Redis, apps: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await readRoster(client)).members.length === apps) return;
    await sleep(100);
  }
  throw new Error(`the node roster does not list ${apps} live nodes after 10 s`);
}

async function createSale(stack: Stack, id: string, total: number): Promise<void> {
  const answer = await http(undefined, 'POST', `${stack.nodes[0].url}/admin/sales`, JSON.stringify({ id, total, perUserLimit: 1, holdSeconds: 3600 }), {
    'content-type': 'application/json',
    authorization: `Bearer ${ADMIN}`,
  });
  if (answer.status >= 300) throw new Error(`creating sale ${id}: HTTP ${answer.status} ${answer.body}`);
}

// ---------------------------------------------------------------------------------------------------------------
// One measured point.

interface Row {
  layout: string;
  apps: number;
  path: Path;
  placement: Placement;
  answeredPerSecond: number;
  committedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
  /** Share of answers that were the path's own (success on the sale path, sold out on the sold-out path). */
  expectedShare: number;
  nodeCpuUsPerAnswer: number;
  nodeCpuUsPerPurchase: number | null;
  redisCpuUsPerPurchase: number | null;
  redisCpuUsPerAnswer: number;
  replicasCpuUsPerPurchase: number | null;
  redisScriptCallsPerAnswer: number;
  nginxCpuUsPerRequest: number;
  /** The load generator's own CPU per request (it shares the cores). */
  wrkCpuUsPerRequest: number;
  machineBusyCores: number;
  softirqCores: number;
  /** Busy cores no process measured was charged with (the kernel's own threads, anything else running): machine - nodes - Redis - nginx - wrk. */
  otherCores: number;
  /** The master's replication stream per committed purchase (master_repl_offset; with replicas only). */
  replicationBytesPerPurchase: number | null;
  /** Bytes per answer through each link (rx + tx; hosts placement only): the front host's, all app hosts', the Redis host's. */
  linkBytesPerAnswer: { front: number; apps: number; redis: number } | null;
}

let runTag = 0;
async function measure(stack: Stack, layout: Layout, apps: number, path: Path, sale: string): Promise<Row> {
  const url = `${stack.nginx.url}/buy/ticket?sale=${sale}`;
  if (WARM_S > 0) await runWrk({ url, script: 'buyers', args: [sale, `w${runTag++}`], threads: WRK_THREADS, connections: CONNECTIONS, seconds: WARM_S });
  const before = await sample(stack);
  const r: LoadResult = await runWrk({ url, script: 'buyers', args: [sale, `m${runTag++}`], threads: WRK_THREADS, connections: CONNECTIONS, seconds: SECONDS });
  const after = await sample(stack);
  const wallS = (after.at - before.at) / 1000;
  const counts = r.counts!;
  const answered = Math.max(1, r.answered);
  const committed = counts.ok;
  const tickUs = 1e6 / CLK_TCK;
  const nodeUs = (after.nodeTicks - before.nodeTicks) * tickUs;
  const redisUs = (after.redis.cpuS - before.redis.cpuS) * 1e6;
  const replicasUs = (after.replicasCpuS - before.replicasCpuS) * 1e6;
  const nginxUs = (after.nginxTicks - before.nginxTicks) * tickUs;
  const wrkUs = (after.wrkTicks - before.wrkTicks) * tickUs;
  const busyCores = (after.machine.busy - before.machine.busy) / CLK_TCK / wallS;
  const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
  return {
    layout: layout.name,
    apps,
    path,
    placement: stack.placement,
    answeredPerSecond: Math.round(r.answered / r.seconds),
    committedPerSecond: Math.round(committed / r.seconds),
    p50Ms: round(r.latencyMs.p50, 2),
    p99Ms: round(r.latencyMs.p99, 2),
    p999Ms: round(r.latencyMs.p999, 2),
    errors: r.socketErrors + r.non2xx,
    expectedShare: round((path === 'sale path' ? counts.ok : counts.soldOut) / answered, 4),
    nodeCpuUsPerAnswer: round(nodeUs / answered),
    nodeCpuUsPerPurchase: committed > 0 && path === 'sale path' ? round(nodeUs / committed) : null,
    redisCpuUsPerPurchase: committed > 0 && path === 'sale path' ? round(redisUs / committed) : null,
    redisCpuUsPerAnswer: round(redisUs / answered, 2),
    replicasCpuUsPerPurchase: layout.replicas > 0 && committed > 0 && path === 'sale path' ? round(replicasUs / committed / layout.replicas) : null,
    redisScriptCallsPerAnswer: round((after.redis.scriptCalls - before.redis.scriptCalls) / answered, 4),
    nginxCpuUsPerRequest: round(nginxUs / answered),
    wrkCpuUsPerRequest: round(wrkUs / answered),
    machineBusyCores: round(busyCores, 2),
    softirqCores: round((after.machine.softirq - before.machine.softirq) / CLK_TCK / wallS, 2),
    otherCores: round(busyCores - (nodeUs + redisUs + replicasUs + nginxUs + wrkUs) / 1e6 / wallS, 2),
    replicationBytesPerPurchase: layout.replicas > 0 && committed > 0 && path === 'sale path' ? Math.round((after.redis.replOffset - before.redis.replOffset) / committed) : null,
    linkBytesPerAnswer:
      stack.placement === 'hosts'
        ? {
            front: Math.round((after.link.front - before.link.front) / answered),
            apps: Math.round((after.link.apps - before.link.apps) / answered),
            redis: Math.round((after.link.redis - before.link.redis) / answered),
          }
        : null,
  };
}

async function point(layout: Layout, apps: number, placement: Placement): Promise<Row[]> {
  const stack = await startStack(placement, apps, layout);
  try {
    const rows: Row[] = [];
    await createSale(stack, 'HOPSALE', 100_000_000);
    rows.push(await measure(stack, layout, apps, 'sale path', 'HOPSALE'));
    console.log(JSON.stringify(rows[rows.length - 1]));
    await createSale(stack, 'HOPSOLD', 1);
    const first = await http(undefined, 'GET', `${stack.nginx.url}/buy/ticket?sale=HOPSOLD&user=the-one-buyer`);
    if (first.json?.code !== 1) throw new Error(`the sold-out sale's one ticket was not sold: HTTP ${first.status} ${first.body}`);
    await sleep(1500); // every node's reconcile (200 ms) sets sold out, its holder sync reads the one holder
    rows.push(await measure(stack, layout, apps, 'sold out', 'HOPSOLD'));
    console.log(JSON.stringify(rows[rows.length - 1]));
    return rows;
  } finally {
    await stack.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------

const points = LAYOUTS.length * APPS.length * PLACEMENTS.length;
const capMs = points * (2 * (SECONDS + WARM_S) * 1000 + 60_000) + 60_000;
const cap = setTimeout(() => {
  console.error(`the run passed its cap (${Math.round(capMs / 1000)} s): stopping everything`);
  void cleanUp().finally(() => process.exit(1));
}, capMs);
cap.unref();

const startedAt = new Date();
const load = loadavg();
const rows: Row[] = [];
try {
  if (PLACEMENTS.includes('hosts')) {
    const availability = hostsAvailable();
    if (!availability.ok) throw new Error(`hosts: ${availability.reason} (run with --placements loopback)`);
    const names = ['front', 'redis', ...Array.from({ length: REPLICAS }, (_, i) => `redis${i + 2}`), ...Array.from({ length: Math.max(...APPS) }, (_, i) => `app${i + 1}`)];
    hosts = await Hosts.create({ names });
    if (FRONT_TW_REUSE) {
      const set = await hosts.run('front', 'sysctl', ['-qw', 'net.ipv4.tcp_tw_reuse=1']);
      if (set.code !== 0) throw new Error(`sysctl in the front host: ${set.stderr}`);
    }
    console.log(`hosts: ${names.map((n) => `${n} ${hosts!.address(n)}`).join(', ')}; wrk from ${hosts.rootAddress}`);
  }
  console.log(
    `${cpus().length} cores for everything (wrk ${WRK_THREADS} threads x ${CONNECTIONS} connections, nginx ${NGINX_WORKERS} worker, ` +
      `the nodes at 1 thread each, Redis, the kernel): more app hosts add processes, not cores — read the hop's cost ` +
      `(hosts / loopback) and each part's CPU per answer, not scale. Load average at start: ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );
  for (const layout of LAYOUTS) {
    for (const apps of APPS) {
      for (const placement of PLACEMENTS) rows.push(...(await point(layout, apps, placement)));
    }
  }
} finally {
  clearTimeout(cap);
  await cleanUp();
}

// ---------------------------------------------------------------------------------------------------------------
// Report.

const partner = (r: Row) => rows.find((b) => b.layout === r.layout && b.apps === r.apps && b.path === r.path && b.placement === 'loopback');
const ratio = (a: number | null, b: number | null | undefined) => (a === null || b === null || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100);
const ratios = rows
  .filter((r) => r.placement === 'hosts' && partner(r) !== undefined)
  .map((r) => {
    const b = partner(r)!;
    return {
      layout: r.layout,
      apps: r.apps,
      path: r.path,
      answeredPerSecond: ratio(r.answeredPerSecond, b.answeredPerSecond),
      p99Ms: ratio(r.p99Ms, b.p99Ms),
      nodeCpuUsPerAnswer: ratio(r.nodeCpuUsPerAnswer, b.nodeCpuUsPerAnswer),
      redisCpuUsPerPurchase: ratio(r.redisCpuUsPerPurchase, b.redisCpuUsPerPurchase),
      nginxCpuUsPerRequest: ratio(r.nginxCpuUsPerRequest, b.nginxCpuUsPerRequest),
    };
  });
const fmt = (x: number | null) => (x === null ? '—' : x.toLocaleString('en-US'));
const lines = [
  '',
  `On ${cpus().length} cores shared by wrk, nginx, every node, Redis and the kernel, more app hosts add no CPU: these figures are the cost`,
  'of the hop and of the topology (hosts / loopback, CPU per answer), not a scaling curve.',
  '',
  '| layout | app hosts | path | placement | answered/s | committed/s | p50 ms | p99 ms | p99.9 ms | errors | hosts / loopback: answered/s | p99 |',
  '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
const ratioOf = (r: Row) => ratios.find((x) => r.placement === 'hosts' && x.layout === r.layout && x.apps === r.apps && x.path === r.path);
for (const r of rows) {
  const q = ratioOf(r);
  lines.push(
    `| ${r.layout} | ${r.apps} | ${r.path} | ${r.placement} | ${fmt(r.answeredPerSecond)} | ${fmt(r.committedPerSecond)} | ${r.p50Ms} | ${r.p99Ms} | ${r.p999Ms} | ${r.errors} | ` +
      `${q === undefined ? '' : `${fmt(q.answeredPerSecond)}×`} | ${q === undefined ? '' : `${fmt(q.p99Ms)}×`} |`,
  );
}
lines.push(
  '',
  'CPU per answer (sizing): node = every node process (utime+stime), per committed purchase on the sale path; Redis = INFO cpu, per purchase',
  "(sale path) or per answer (sold out); nginx = master + workers; wrk = the load generator; busy = the machine's cores in use, of them softirq,",
  'and what no measured process was charged with; link bytes = rx + tx per answer through the front host\'s, the app hosts\' and the Redis',
  "host's links (hosts only); with replicas, the master's replication stream per purchase.",
  '',
  '| layout | app hosts | path | placement | node µs | Redis µs | Redis scripts / answer | nginx µs | wrk µs | busy cores | softirq cores | uncharged cores | link bytes front / apps / Redis | replication bytes |',
  '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
);
for (const r of rows) {
  const node = r.nodeCpuUsPerPurchase ?? r.nodeCpuUsPerAnswer;
  const redis = r.redisCpuUsPerPurchase ?? r.redisCpuUsPerAnswer;
  const replicas = r.replicasCpuUsPerPurchase === null ? '' : ` (+${r.replicasCpuUsPerPurchase} per replica)`;
  lines.push(
    `| ${r.layout} | ${r.apps} | ${r.path} | ${r.placement} | ${node} | ${redis}${replicas} | ${r.redisScriptCallsPerAnswer} | ${r.nginxCpuUsPerRequest} | ${r.wrkCpuUsPerRequest} | ` +
      `${r.machineBusyCores} | ${r.softirqCores} | ${r.otherCores} | ` +
      `${r.linkBytesPerAnswer === null ? '—' : `${r.linkBytesPerAnswer.front} / ${r.linkBytesPerAnswer.apps} / ${r.linkBytesPerAnswer.redis}`} | ${fmt(r.replicationBytesPerPurchase)} |`,
  );
}
console.log(lines.join('\n'));

const out = isAbsolute(OUT) ? OUT : join(ROOT, OUT);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      date: startedAt.toISOString(),
      command: `node --import tsx --conditions=ticket-spike-source bench/hosts/topology.ts ${process.argv.slice(2).join(' ')}`.trim(),
      cpus: cpus().length,
      loadavgAtStart: load,
      settings: { seconds: SECONDS, warmS: WARM_S, connections: CONNECTIONS, wrkThreads: WRK_THREADS, nginxWorkers: NGINX_WORKERS, nodeThreads: 1, redis: 'appendonly yes, appendfsync always', frontTwReuse: FRONT_TW_REUSE },
      note: 'two cores shared by everything: the cost of the hop and of the topology, not scale',
      rows,
      hostsOverLoopback: ratios,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nwrote ${out}`);
