import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_SALE, ensureDemoSale } from './demo-sale.js';
import { embeddedPostgresSpec, migrateDatabase, postgresUrl, preparePostgres } from './embedded-postgres.js';
import { freshPostgres } from './postgres-data.js';
import { embeddedRedisPlan } from './redis-plan.js';
import { LaunchError } from './errors.js';
import type { Logger } from './log.js';
import { nginxSpec, readNginxTemplate, renderNginxConf, testNginxConf, writeNginxConf } from './nginx.js';
import { nodeSpec, planNodes, type NodePlan } from './nodes.js';
import { ordersWorkerSpec } from './orders-worker.js';
import { ensureKeyDir } from '../tickets/keys.js';
import type { UpOptions } from './options.js';
import { anyFreePort, assertPortsFree, isPortFree, type PortClaim } from './ports.js';
import { ensureBinary } from './prereqs.js';
import { foreignHint, recoverFromCrash } from './recover.js';
import { stopRanks, type ChildRecord, type ChildRole, type RoleFields } from './children.js';
import { acquireUpLock, releaseUpLock, wipeVarDir, writeUpState, type UpState } from './state.js';
import { upSummary } from './summary.js';
import { ChildStartError, killGroup, SupervisedChild, type ChildSpec } from './supervisor.js';
import { watchdogSpec } from './watchdog.js';

export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

/**
 * One `ticket-spike up`: take the lock (<var>/up.json), stop what a crashed earlier `up` left running,
 * check the ports, and only then touch the var dir (--fresh) and start the watchdog, Redis (embedded unless
 * an URL is given), PostgreSQL (embedded unless DATABASE_URL; migrated), the demo sale, the nodes and nginx in
 * front, the order workers; supervise until stop() — which ends them in the order of src/launcher/children.ts
 * (nginx first: no new buyers; the nodes: they drain; the workers: their last batch; Redis and PostgreSQL) and
 * removes up.json. Every child is in up.json's `children` with its pid and cmdline as soon as it runs; if `up`
 * dies, the nodes and workers notice their parent is gone and the watchdog stops whatever still runs.
 */
export class Launcher {
  readonly varDir: string;
  /** Every child, in start order, with its role. */
  private readonly running: { role: ChildRole; child: SupervisedChild }[] = [];
  /** up.json's `children`: by name, in start order; undefined while that child is down (waiting for its restart). */
  private readonly records = new Map<string, ChildRecord | undefined>();
  private state: UpState;
  private locked = false;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  readonly adminToken: string;
  private readonly tokenGenerated: boolean;
  redisUrl = '';
  confirmReplicas = 0; // replicas a write must reach (the nodes' and workers' CONFIRM_REPLICAS); 0 = one Redis
  redisDataDir: string | undefined;
  databaseUrl = '';
  postgresDataDir: string | undefined;
  plan: NodePlan[] = [];
  demo: 'created' | 'exists' | undefined;

  constructor(
    private readonly options: UpOptions,
    private readonly projectRoot: string,
    varDir: string,
    private readonly log: Logger,
  ) {
    this.varDir = varDir;
    const token = options.adminToken;
    this.tokenGenerated = token === undefined || token === '';
    this.adminToken = this.tokenGenerated ? randomBytes(24).toString('base64url') : (token as string);
    this.state = { pid: process.pid, status: 'starting', startedAt: new Date().toISOString(), varDir, children: [] };
  }

  get adminTokenGenerated(): boolean {
    return this.tokenGenerated;
  }

  /** Asks a running start() to give up at its next step (Ctrl-C during start). */
  interrupt(): void {
    this.stopRequested = true;
  }

  private checkpoint(): void {
    if (this.stopRequested) throw new Interrupted('interrupted during start');
  }

  /**
   * A child of this role, supervised, recorded in up.json's `children` with its pid and cmdline at every (re)start
   * and dropped from it while it is down. Not started yet: startChild does that.
   */
  private supervise<R extends ChildRole>(role: R, spec: ChildSpec, fields: RoleFields[R]): SupervisedChild {
    const name = spec.name;
    const child = new SupervisedChild(spec, this.log, (pid) => {
      const record = pid === undefined ? undefined : ({ role, name, pid, cmdlineHas: spec.cmdlineHas ?? [], upPid: process.pid, ...fields } as ChildRecord);
      this.records.set(name, record);
      this.update({ children: [...this.records.values()].filter((r): r is ChildRecord => r !== undefined) });
    });
    this.running.push({ role, child });
    return child;
  }

  private childrenOf(role: ChildRole): SupervisedChild[] {
    return this.running.filter((r) => r.role === role).map((r) => r.child);
  }

  /** Synchronous last resort (process 'exit'): SIGKILL every child's process group. */
  killAllNow(): void {
    for (const { child } of this.running) killGroup(child.pid, 'SIGKILL');
  }

  async start(): Promise<void> {
    const o = this.options;
    // 1. The lock first: a second `up` on the same var dir must not touch anything (not even --fresh).
    const previous = acquireUpLock(this.varDir, this.state);
    this.locked = true;
    // Private: Redis's data and password, PostgreSQL's password, up.json (the admin token, both URLs), the logs.
    chmodSync(this.varDir, 0o700);

    // 2. What a crashed earlier `up` left running: stopped (or, with --fresh, refused) before anything in
    // the var dir is touched.
    const recovery = previous !== undefined ? await recoverFromCrash(previous, o.fresh, this.log, (leftovers) => this.update({ leftovers })) : undefined;
    this.checkpoint();

    // 3. Binaries (installed with apt-get when root and missing).
    const nginxBin = ensureBinary('nginx', this.log);
    const redisBin = o.redisUrl === undefined ? ensureBinary('redis-server', this.log) : undefined;
    const pgBin = o.databaseUrl === undefined ? { initdb: ensureBinary('initdb', this.log), postgres: ensureBinary('postgres', this.log) } : undefined;

    // 4. Ports, all checked before anything starts.
    this.plan = planNodes(o.portBase, o.weights);
    const claims: PortClaim[] = [
      { port: o.port, what: 'nginx, --port' },
      ...this.plan.map((n) => ({ port: n.port, what: `${n.id}, --port-base` })),
    ];
    const redisPort = redisBin !== undefined ? await this.choosePort(o.redisPort, 6380, 'Redis') : undefined;
    if (redisPort !== undefined) claims.push({ port: redisPort, what: 'embedded Redis, --redis-port' });
    const pgPort = pgBin !== undefined ? await this.choosePort(o.postgresPort, 5433, 'PostgreSQL', redisPort) : undefined;
    if (pgPort !== undefined) claims.push({ port: pgPort, what: 'embedded PostgreSQL, --postgres-port' });
    await assertPortsFree(claims, foreignHint(recovery?.foreign ?? []));
    this.checkpoint();

    // 5. Only now the var dir: --fresh empties it (not while a PostgreSQL uses its data); the order store's data dir
    // is checked (refused before any child starts) or made (initdb); the watchdog stops the children should `up` die.
    if (o.fresh) {
      freshPostgres(this.varDir, this.log);
      wipeVarDir(this.varDir, this.log);
    }
    const prepared = pgBin !== undefined ? preparePostgres(this.varDir, pgBin.initdb, this.log) : undefined;
    const logs = join(this.varDir, 'logs');
    mkdirSync(logs, { recursive: true, mode: 0o700 });
    await this.startChild(this.supervise('watchdog', watchdogSpec(this.projectRoot, process.pid, this.varDir, join(logs, 'watchdog.log')), {}));
    this.checkpoint();

    // 6. Redis: one, or a master with replicas and three Sentinels (src/launcher/redis-plan.ts).
    if (redisBin !== undefined && redisPort !== undefined) {
      const taken = [o.port, ...this.plan.map((n) => n.port)];
      const plan = await embeddedRedisPlan({ binary: redisBin, port: redisPort, varDir: this.varDir, logDir: logs, replicas: o.redisReplicas, downAfterMs: o.redisDownAfterMs, taken });
      for (const group of plan.startGroups) await Promise.all(group.map(({ role, spec }) => this.startChild(this.supervise(role, spec, {}))));
      this.redisDataDir = plan.dataDir;
      this.redisUrl = plan.url;
      this.confirmReplicas = plan.confirmReplicas;
    } else {
      this.redisUrl = o.redisUrl as string;
    }
    this.update({ redisUrl: this.redisUrl, redisDataDir: this.redisDataDir, adminToken: this.adminToken });
    this.checkpoint();

    // 6b. PostgreSQL, the order store (its data dir prepared in 5), then the migrations.
    if (pgBin !== undefined && pgPort !== undefined && prepared !== undefined) {
      this.postgresDataDir = prepared.dataDir;
      this.databaseUrl = postgresUrl(pgPort, prepared.password);
      const spec = embeddedPostgresSpec({ binary: pgBin.postgres, port: pgPort, prepared, logFile: join(logs, 'postgres.log') });
      await this.startChild(this.supervise('postgres', spec, {}));
    } else {
      this.databaseUrl = o.databaseUrl as string;
    }
    this.update({ databaseUrl: this.databaseUrl, postgresDataDir: this.postgresDataDir });
    const migrated = await migrateDatabase(this.databaseUrl);
    this.log.info(migrated, `order store schema at version ${migrated.version}`);
    this.checkpoint();

    // 7. The demo sale, before the nodes, so they find it at once.
    this.demo = await ensureDemoSale(this.redisUrl, { ...DEMO_SALE, total: o.demoTotal }, this.databaseUrl);
    this.log.info({ sale: DEMO_SALE.id, result: this.demo }, `demo sale ${this.demo}`);
    this.checkpoint();

    // 8. Nodes, all at once; each watches this process and drains when it is gone. They share one e-ticket key
    // directory (made with one key at the first start), so every node signs and verifies the same tickets.
    const ticketKeysDir = join(this.varDir, 'ticket-keys');
    if (ensureKeyDir(ticketKeysDir)) this.log.info({ dir: ticketKeysDir }, 'made the e-ticket signing key');
    const totalWeight = o.weights.reduce((a, b) => a + b, 0);
    this.update({ defaultSale: DEMO_SALE.id });
    for (const n of this.plan) {
      const spec = nodeSpec({
        projectRoot: this.projectRoot,
        node: n,
        totalWeight,
        redisUrl: this.redisUrl,
        databaseUrl: this.databaseUrl,
        adminToken: this.adminToken,
        defaultSale: DEMO_SALE.id,
        threads: o.threads,
        buyerRate: o.buyerRate,
        buyerBurst: o.buyerBurst,
        logFile: join(logs, `${n.id}.log`),
        parentPid: process.pid,
        ticketKeysDir,
        confirmReplicas: this.confirmReplicas,
      });
      this.supervise('node', spec, { port: n.port, weight: n.weight });
    }
    await Promise.all(this.childrenOf('node').map((c) => this.startChild(c)));
    this.checkpoint();

    // 8b. The order workers: every order from the sales' streams into PostgreSQL (they watch this process too).
    for (let i = 0; i < o.ordersWorkers; i++) {
      const spec = ordersWorkerSpec({ projectRoot: this.projectRoot, index: i, redisUrl: this.redisUrl, databaseUrl: this.databaseUrl, logFile: join(logs, `orders-worker-${i + 1}.log`), parentPid: process.pid, ticketKeysDir, confirmReplicas: this.confirmReplicas });
      this.supervise('orders-worker', spec, {});
    }
    await Promise.all(this.childrenOf('orders-worker').map((w) => this.startChild(w)));
    this.checkpoint();

    // 9. nginx.
    const prefix = join(this.varDir, 'nginx');
    const conf = renderNginxConf(readNginxTemplate(this.projectRoot), {
      prefix,
      port: o.port,
      upstreams: this.plan.map((n) => ({ host: '127.0.0.1', port: n.port, weight: n.weight })),
      workerProcesses: o.nginxWorkers,
      ipRate: o.ipRate,
      ipBurst: o.ipBurst,
      rateExempt: o.ipRateExempt,
      trustedProxies: o.trustedProxies,
    });
    const confFile = writeNginxConf(conf, prefix);
    testNginxConf(nginxBin, prefix, confFile);
    await this.startChild(this.supervise('nginx', nginxSpec(nginxBin, prefix, confFile, o.port, join(logs, 'nginx.log')), {}));
    this.update({ status: 'running', nginxPort: o.port, nginxUrl: `http://127.0.0.1:${o.port}` });
    this.checkpoint();
  }

  /** The flag's port, else `preferred`, else (taken or wanted by nginx, a node or `taken`) any free port. */
  private async choosePort(flag: number | 'auto', preferred: number, what: string, taken?: number): Promise<number> {
    const o = this.options;
    if (flag !== 'auto') return flag;
    const clash = o.port === preferred || taken === preferred || this.plan.some((n) => n.port === preferred);
    if (!clash && (await isPortFree(preferred))) return preferred;
    let port = await anyFreePort();
    while (port === taken) port = await anyFreePort();
    this.log.info({ port }, `port ${preferred} is taken; the embedded ${what} uses ${port}`);
    return port;
  }

  private async startChild(child: SupervisedChild): Promise<void> {
    await child.start().catch((err: unknown) => {
      throw err instanceof ChildStartError ? new LaunchError('START_FAILED', err.message) : err;
    });
  }

  private update(patch: Partial<UpState>): void {
    this.state = { ...this.state, ...patch };
    if (this.locked && !this.stopRequested) writeUpState(this.varDir, this.state);
  }

  /**
   * Every child but the watchdog in the stop order of src/launcher/children.ts, one rank at a time: nginx (QUIT:
   * no new buyers, in-flight finish), the nodes (SIGTERM: drain), the order workers (SIGTERM: the batch in hand;
   * after the nodes, so the last orders reach the stream first), Redis (SIGTERM) and PostgreSQL (SIGINT: fast
   * shutdown); then up.json, then the watchdog (its job is done). A refused start that still knows leftovers of a
   * crashed `up` keeps up.json: stale once we exit, it tells the next `up` what still runs.
   */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= (async () => {
      for (const roles of stopRanks()) {
        await Promise.all(this.running.filter((r) => r.role !== 'watchdog' && roles.includes(r.role)).map((r) => r.child.stop()));
      }
      if (this.locked && (this.state.leftovers ?? []).length === 0) releaseUpLock(this.varDir);
      this.locked = false;
      await Promise.all(this.childrenOf('watchdog').map((w) => w.stop()));
    })();
    return this.stopping;
  }

  summary(): string {
    return upSummary({
      options: this.options,
      varDir: this.varDir,
      plan: this.plan,
      children: this.state.children,
      embeddedRedis: this.childrenOf('redis').length > 0,
      embeddedPostgres: this.childrenOf('postgres').length > 0,
      redisUrl: this.redisUrl,
      redisDataDir: this.redisDataDir,
      databaseUrl: this.databaseUrl,
      postgresDataDir: this.postgresDataDir,
      demo: this.demo,
      adminToken: this.adminToken,
      tokenGenerated: this.tokenGenerated,
    });
  }
}
