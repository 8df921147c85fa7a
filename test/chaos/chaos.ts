import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { saleKeys } from '../../src/redis/keys.js';
import { connectRedis, whenReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { decodeOrder } from '../../src/sale/order-codec.js';
import { judge, type FinalState, type Verdict } from './auditor.js';
import { ChaosCluster } from './cluster.js';
import { Crowd } from './crowd.js';
import { runFaults, type Fault, type FaultEvent } from './faults.js';
import { Journal } from './journal.js';
import { Rng } from './rng.js';

export interface ChaosOptions {
  seed: number;
  /** Length of the load phase with faults (the settle phase comes after). */
  seconds: number;
  faults: readonly Fault[];
  /** Tickets in the sale; demand is paced to outrun it near the end of the load phase. */
  total: number;
  nodes: number;
  workers: number;
  log?: (line: string) => void;
  /** Run against this cluster (kept running afterwards) instead of starting one; each run has its own sale. */
  cluster?: ChaosCluster;
  /** Start a replicated cluster (when `cluster` is not given): a master, two replicas, three Sentinels. */
  replicated?: boolean;
  /** Start the layout across hosts (when `cluster` is not given): test/chaos/hosts-layout.ts. */
  hosts?: boolean;
  /** How long a partition or a database outage lasts (default 10 s). */
  cutSeconds?: number;
}

export interface ChaosResult extends Verdict {
  seed: number;
  sale: string;
  faults: FaultEvent[];
  attempts: number;
  /** Purchases sent on a keep-alive connection after 11-15 s of silence. */
  idleReuses: number;
  final: { total: number; held: number; paid: number; orders: number };
}

const PER_USER_LIMIT = 2;
/** The nodes' Redis command deadline (connectRedis's default); pauses and dropped replies outlast it. */
const COMMAND_TIMEOUT_MS = 1000;

/**
 * One chaos run: a real cluster (Redis + drop proxy + nodes + nginx), a sale, paced buyers through nginx
 * with repeat clicks and retries, seeded faults, a settle phase with the faults over, and the auditor's
 * verdict on what buyers saw against what Redis holds.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const rng = new Rng(options.seed);
  const journal = new Journal();
  const cluster = options.cluster ?? (await startChaosCluster(options.nodes, options.replicated === true, options.hosts === true));
  // Straight to Redis (not the proxy); in the replicated layout, to whichever server the Sentinels name master.
  const admin = connectRedis(cluster.auditorUrl, { commandTimeoutMs: 5000, name: 'chaos-admin' }) as Redis;
  admin.on('error', () => {});
  const engineConnection = connectRedis(cluster.auditorUrl, { commandTimeoutMs: 10_000, name: 'chaos-auditor' });
  engineConnection.on('error', () => {});
  const engine = new SaleEngine(engineConnection);
  const sale = `chaos${options.seed.toString(36)}${options.faults.length === 1 ? options.faults[0].replace('-', '') : ''}`;
  const keys = saleKeys(sale);
  let sampling = true;
  try {
    await Promise.all([whenReady(engineConnection, 5000), whenReady(admin, 5000)]);
    await engine.createSale({ id: sale, total: options.total, perUserLimit: PER_USER_LIMIT, holdSeconds: 3600, anonymous: false });
    log(`cluster up: ${cluster.describe()}, nodes ${cluster.nodePorts.join(',')}, nginx ${cluster.url}; sale ${sale} (${options.total} tickets)`);

    const sampler = (async () => {
      while (sampling) {
        const at = journal.now();
        try {
          const [total, held, paid] = await admin.hmget(keys.meta, 'total', 'held', 'paid');
          journal.samples.push({ at, total: Number(total), held: Number(held), paid: Number(paid) });
        } catch {
          // Redis is down or paused: no sample.
        }
        await sleep(25);
      }
    })();

    const loadMs = options.seconds * 1000;
    const crowd = new Crowd(
      {
        baseUrl: cluster.url,
        sale,
        perUserLimit: PER_USER_LIMIT,
        newPerSecond: (options.total * 1.25) / options.seconds,
        workers: options.workers,
        idleBuyers: options.faults.includes('idle-reuse') ? 2 : 0,
        timeoutMs: 5000,
      },
      journal,
      rng.fork(1),
    );
    const start = journal.now();
    const [faults] = await Promise.all([
      runFaults(options.faults, { cluster, crowd, journal, admin, commandTimeoutMs: COMMAND_TIMEOUT_MS, sale, cutSeconds: options.cutSeconds ?? 10 }, rng.fork(2), start + 500, start + loadMs - 1000),
      crowd.load(start + loadMs),
    ]);
    for (const f of faults) log(`fault ${f.fault} at ${(f.from / 1000).toFixed(1)} s: ${f.detail}`);

    log('settling: resolving unknown outcomes, clicking every bought key again, buying until nothing is left');
    const remaining = async () => {
      // After a master change the admin connection may still be finding the new master: wait for it.
      await whenReady(admin, 15_000);
      const [total, held, paid] = await admin.hmget(keys.meta, 'total', 'held', 'paid');
      return Number(total) - Number(held) - Number(paid);
    };
    await crowd.settle(remaining, options.total * 3);
    crowd.close();
    await sleep(100);
    sampling = false;
    await sampler;

    // A connection that dropped during the run (a loaded CI machine, a fault's reconnect) must be back before
    // the final read: both refuse commands while offline rather than queue them.
    await Promise.all([whenReady(admin, 10_000), whenReady(engineConnection, 10_000)]);
    const final = await readFinal(admin, engine, sale);
    // Across hosts the order worker runs: PostgreSQL must agree, and the final orders it retired from Redis are
    // still the sale's (the auditor finds every confirmed order in one place or the other).
    const storeProblems: string[] = [];
    if (cluster.layout() !== undefined) {
      const agreement = await cluster.hosts().postgresAgrees(sale, final.orders);
      for (const [id, order] of agreement.retired) final.orders.set(id, order);
      storeProblems.push(...agreement.problems.map((p) => `PostgreSQL disagrees: ${p}`));
      if (agreement.problems.length > 0) log(`the order worker's last output:\n${cluster.hosts().workerOutput().slice(-4000)}`);
    }
    const verdict = judge(journal.attempts, journal.samples, faults, final, PER_USER_LIMIT, true, { paid: crowd.paid, refusals: crowd.payRefusals });
    verdict.violations.push(...storeProblems);
    return {
      ...verdict,
      seed: options.seed,
      sale,
      faults,
      attempts: journal.attempts.length,
      idleReuses: journal.attempts.filter((a) => a.idleReuse === true).length,
      final: { total: final.total, held: final.held, paid: final.paid, orders: final.orders.size },
    };
  } finally {
    sampling = false;
    admin.disconnect();
    engineConnection.disconnect();
    if (options.cluster === undefined) await cluster.stop();
  }
}

export function startChaosCluster(nodes: number, replicated = false, hosts = false): Promise<ChaosCluster> {
  return ChaosCluster.start({ nodes, threads: 1, dropHoldMs: COMMAND_TIMEOUT_MS + 500, nodeArgs: [], replicated, hosts });
}

async function readFinal(admin: Redis, engine: SaleEngine, sale: string): Promise<FinalState> {
  const keys = saleKeys(sale);
  const [total, held, paid] = await admin.hmget(keys.meta, 'total', 'held', 'paid');
  const orders = new Map<string, { user: string; status: string }>();
  for (const [id, encoded] of Object.entries(await admin.hgetall(keys.orders))) {
    const view = decodeOrder(id, encoded);
    orders.set(id, { user: view.user, status: view.status });
  }
  const idem = new Map<string, string>();
  for (const [field, record] of Object.entries(await admin.hgetall(keys.idem))) idem.set(field, record.slice(0, record.indexOf('|')));
  const audit = await engine.audit(sale);
  return { total: Number(total), held: Number(held), paid: Number(paid), orders, idem, audit };
}
