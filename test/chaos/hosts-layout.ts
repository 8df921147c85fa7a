import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { sentinelTarget } from '../../src/rules/redis-target.js';
import { Hosts, type HostPlace } from '../helpers/hosts.js';
import { PostgresServer } from '../helpers/postgres-server.js';
import { SentinelGroup } from '../helpers/redis-sentinel-group.js';
import { WorkerProcess } from '../helpers/worker-process.js';

/** The hosts of the layout, by name: the front host (nginx), an app host per node, the database host. */
export const FRONT = 'front';
export const DB = 'db';
export const appHost = (index: number) => `app${index + 1}`;

/**
 * The system under chaos spread over real network namespaces (test/helpers/hosts.ts), as docs/deploy.md lays it out:
 * a front host with nginx; one app host per node, each with a Redis data node (the first the master) and a
 * Sentinel; a database host with PostgreSQL and the order worker. The nodes (started by ChaosCluster in their app
 * hosts) reach the master through the Sentinels and confirm on both replicas. Faults are a host's: its power
 * (every process killed at once), its cable (the link down), the master's host cut off with its own node.
 */
export class HostsLayout {
  private constructor(
    readonly hosts: Hosts,
    readonly group: SentinelGroup,
    readonly postgres: PostgresServer,
    private readonly worker: WorkerProcess,
    readonly apps: number,
  ) {}

  static async start(apps: number, downAfterMs: number): Promise<HostsLayout> {
    const hosts = await Hosts.create({ names: [FRONT, ...Array.from({ length: apps }, (_, i) => appHost(i)), DB] });
    try {
      const places = Array.from({ length: apps }, (_, i) => hosts.place(appHost(i)));
      const [postgres, group] = await Promise.all([
        PostgresServer.start({ host: hosts.place(DB) }),
        // failover-timeout 4 s: faults a few seconds apart may each need a failover of the same master name, and
        // Sentinel waits twice this after the last one before it tries again (20 s with the default).
        SentinelGroup.start({ replicas: apps - 1, sentinels: apps, downAfterMs, failoverTimeoutMs: 4000, places }),
      ]);
      const worker = WorkerProcess.start(sentinelTarget(group.sentinelAddresses, group.masterName), postgres.url, ['--confirm-replicas', String(apps - 1)], { host: hosts.place(DB) });
      return new HostsLayout(hosts, group, postgres, worker, apps);
    } catch (err) {
      await hosts.destroy();
      throw err;
    }
  }

  /** What the order worker printed last (for a failed check's report). */
  workerOutput(): string {
    return this.worker.output;
  }

  get redisUrl(): string {
    return sentinelTarget(this.group.sentinelAddresses, this.group.masterName);
  }

  place(name: string): HostPlace {
    return this.hosts.place(name);
  }

  /** The app host whose data node the Sentinels name master now. */
  async masterHost(): Promise<number> {
    const master = await this.group.master();
    const index = Array.from({ length: this.apps }, (_, i) => i).find((i) => this.hosts.address(appHost(i)) === master.address);
    if (index === undefined) throw new Error(`the master ${master.address} is on no app host`);
    return index;
  }

  /** Every process of the app host killed at once; its Redis and Sentinel start again after `downMs` (a reboot). */
  async powerLoss(index: number, downMs: number): Promise<void> {
    const name = appHost(index);
    await this.hosts.killAll(name);
    await sleep(downMs);
    await this.group.restartAt(this.hosts.address(name));
  }

  /** The database host cut off for `downMs` (PostgreSQL and the order worker unreachable), then back. */
  async databaseDown(downMs: number): Promise<void> {
    this.hosts.linkDown(DB);
    await sleep(downMs);
    this.hosts.linkUp(DB);
  }

  /**
   * Waits until PostgreSQL agrees with Redis on the sale (the worker carried everything): every order Redis holds
   * is in PostgreSQL with the same buyer and status, and every order PostgreSQL has that Redis does not is a final
   * one (paid, cancelled, expired: the worker retires those from Redis once committed). Returns the differences
   * left after `timeoutMs` and the retired orders, which the auditor counts as Redis's own.
   */
  async postgresAgrees(sale: string, orders: ReadonlyMap<string, { user: string; status: string }>, timeoutMs = 30_000): Promise<{ problems: string[]; retired: Map<string, { user: string; status: string }> }> {
    const client = new pg.Client({ connectionString: this.postgres.url });
    await client.connect();
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows } = await client.query<{ order_id: string; user_id: string; status: string }>('select order_id, user_id, status from orders where sale_id = $1', [sale]);
        const problems: string[] = [];
        const retired = new Map<string, { user: string; status: string }>();
        const stored = new Set<string>();
        for (const row of rows) {
          stored.add(row.order_id);
          const order = orders.get(row.order_id);
          const status = row.status === 'reserved' ? 'held' : row.status;
          if (order === undefined) {
            if (status === 'held') problems.push(`order ${row.order_id} (${row.user_id}) is held in PostgreSQL but Redis has no such order`);
            else retired.set(row.order_id, { user: row.user_id, status });
          } else if (order.user !== row.user_id || order.status !== status) {
            problems.push(`order ${row.order_id}: Redis ${order.user}/${order.status}, PostgreSQL ${row.user_id}/${status}`);
          }
        }
        for (const [id, order] of orders) if (!stored.has(id)) problems.push(`order ${id} (${order.user}, ${order.status}) is in Redis but not in PostgreSQL`);
        if (problems.length === 0 || Date.now() > deadline) {
          return { problems: problems.slice(0, 10).concat(problems.length > 10 ? [`... and ${problems.length - 10} more`] : []), retired };
        }
        await sleep(250);
      }
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    this.worker.child.kill('SIGKILL');
    await this.group.stop().catch(() => {});
    await this.postgres.stop().catch(() => {});
    await this.hosts.destroy();
  }
}
