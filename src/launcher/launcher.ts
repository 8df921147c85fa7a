import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_SALE, ensureDemoSale } from './demo-sale.js';
import { embeddedPostgresSpec, migrateDatabase, postgresUrl, preparePostgres } from './embedded-postgres.js';
import { embeddedRedisSpec } from './embedded-redis.js';
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
import { acquireUpLock, releaseUpLock, wipeVarDir, writeUpState, type UpState } from './state.js';
import { upSummary } from './summary.js';
import { ChildStartError, killGroup, SupervisedChild } from './supervisor.js';
import { watchdogSpec } from './watchdog.js';

export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

/**
 * One `ticket-spike up`: take the lock (<var>/up.json), stop what a crashed earlier `up` left running,
 * check the ports, and only then touch the var dir (--fresh) and start the watchdog, Redis (embedded unless
 * an URL is given), PostgreSQL (embedded unless DATABASE_URL; migrated), the demo sale, the nodes and nginx in
 * front; supervise until stop() — which ends nginx first (no new buyers), then the nodes (they drain), then
 * Redis and PostgreSQL, and removes up.json. Every child is in
 * up.json with its pid and cmdline as soon as it runs; if `up` dies, the nodes notice their parent is gone
 * and the watchdog stops nginx, Redis and PostgreSQL.
 */
export class Launcher {
  readonly varDir: string;
  private redis: SupervisedChild | undefined;
  private postgres: SupervisedChild | undefined;
  private readonly nodes = new Map<string, SupervisedChild>();
  private nginx: SupervisedChild | undefined;
  private watchdog: SupervisedChild | undefined;
  private readonly workers: SupervisedChild[] = [];
  private state: UpState;
  private locked = false;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  readonly adminToken: string;
  private readonly tokenGenerated: boolean;
  redisUrl = '';
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
    this.state = { pid: process.pid, status: 'starting', startedAt: new Date().toISOString(), varDir };
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

  private children(): SupervisedChild[] {
    return [this.nginx, ...this.nodes.values(), ...this.workers, this.redis, this.postgres, this.watchdog].filter((c): c is SupervisedChild => c !== undefined);
  }

  /** Synchronous last resort (process 'exit'): SIGKILL every child's process group. */
  killAllNow(): void {
    for (const child of this.children()) killGroup(child.pid, 'SIGKILL');
  }

  async start(): Promise<void> {
    const o = this.options;
    // 1. The lock first: a second `up` on the same var dir must not touch anything (not even --fresh).
    const previous = acquireUpLock(this.varDir, this.state);
    this.locked = true;

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

    // 5. Only now the var dir: --fresh empties it; the watchdog stops Redis and nginx should `up` die.
    if (o.fresh) wipeVarDir(this.varDir, this.log);
    const logs = join(this.varDir, 'logs');
    mkdirSync(logs, { recursive: true });
    const watchdog = watchdogSpec(this.projectRoot, process.pid, this.varDir, join(logs, 'watchdog.log'));
    this.watchdog = new SupervisedChild(watchdog, this.log, (pid) => this.update({ watchdogPid: pid, watchdogCmdlineHas: watchdog.cmdlineHas }));
    await this.startChild(this.watchdog);
    this.checkpoint();

    // 6. Redis.
    if (redisBin !== undefined && redisPort !== undefined) {
      this.redisDataDir = join(this.varDir, 'redis');
      this.redisUrl = `redis://127.0.0.1:${redisPort}`;
      const spec = embeddedRedisSpec({ binary: redisBin, port: redisPort, dataDir: this.redisDataDir, logFile: join(logs, 'redis.log') });
      this.redis = new SupervisedChild(spec, this.log, (pid) => this.update({ redisPid: pid, redisCmdlineHas: spec.cmdlineHas }));
      await this.startChild(this.redis);
    } else {
      this.redisUrl = o.redisUrl as string;
    }
    this.update({ redisUrl: this.redisUrl, redisDataDir: this.redisDataDir, adminToken: this.adminToken });
    this.checkpoint();

    // 6b. PostgreSQL, the order store: initdb once under var/postgres, then the migrations.
    if (pgBin !== undefined && pgPort !== undefined) {
      const prepared = preparePostgres(this.varDir, pgBin.initdb, this.log);
      this.postgresDataDir = prepared.dataDir;
      this.databaseUrl = postgresUrl(pgPort, prepared.password);
      const spec = embeddedPostgresSpec({ binary: pgBin.postgres, port: pgPort, prepared, logFile: join(logs, 'postgres.log') });
      this.postgres = new SupervisedChild(spec, this.log, (pid) => this.update({ postgresPid: pid, postgresCmdlineHas: spec.cmdlineHas }));
      await this.startChild(this.postgres);
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
    const nodeInfo: NonNullable<UpState['nodes']> = this.plan.map((n) => ({ id: n.id, port: n.port, weight: n.weight }));
    this.update({ nodes: nodeInfo, defaultSale: DEMO_SALE.id });
    for (const [i, n] of this.plan.entries()) {
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
      });
      const child = new SupervisedChild(spec, this.log, (pid) => {
        nodeInfo[i] = { ...nodeInfo[i], pid, cmdlineHas: spec.cmdlineHas };
        this.update({ nodes: nodeInfo });
      });
      this.nodes.set(n.id, child);
    }
    await Promise.all([...this.nodes.values()].map((c) => this.startChild(c)));
    this.checkpoint();

    // 8b. The order workers: every order from the sales' streams into PostgreSQL (they watch this process too).
    for (let i = 0; i < o.ordersWorkers; i++) {
      const spec = ordersWorkerSpec({ projectRoot: this.projectRoot, index: i, redisUrl: this.redisUrl, databaseUrl: this.databaseUrl, logFile: join(logs, `orders-worker-${i + 1}.log`), parentPid: process.pid, ticketKeysDir });
      this.workers.push(new SupervisedChild(spec, this.log, () => {}));
    }
    await Promise.all(this.workers.map((w) => this.startChild(w)));
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
    const nginx = nginxSpec(nginxBin, prefix, confFile, o.port, join(logs, 'nginx.log'));
    this.nginx = new SupervisedChild(nginx, this.log, (pid) => this.update({ nginxPid: pid, nginxCmdlineHas: nginx.cmdlineHas }));
    await this.startChild(this.nginx);
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
    try {
      await child.start();
    } catch (err) {
      if (err instanceof ChildStartError) throw new LaunchError('START_FAILED', err.message);
      throw err;
    }
  }



  private update(patch: Partial<UpState>): void {
    this.state = { ...this.state, ...patch };
    if (this.locked && !this.stopRequested) writeUpState(this.varDir, this.state);
  }

  /**
   * nginx first (QUIT: no new buyers, in-flight finish), then the nodes (SIGTERM: drain), Redis and PostgreSQL
   * (SIGINT: fast shutdown) last, then
   * up.json, then the watchdog (its job is done). A refused start that still knows leftovers of a crashed
   * `up` keeps up.json: stale once we exit, it tells the next `up` what still runs.
   */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= (async () => {
      if (this.nginx) await this.nginx.stop();
      await Promise.all([...this.nodes.values()].map((n) => n.stop()));
      // The workers after the nodes (the last orders reach the stream first), before Redis and PostgreSQL.
      await Promise.all(this.workers.map((w) => w.stop()));
      await Promise.all([this.redis?.stop(), this.postgres?.stop()]);
      if (this.locked && (this.state.leftovers ?? []).length === 0) releaseUpLock(this.varDir);
      this.locked = false;
      if (this.watchdog) await this.watchdog.stop();
    })();
    return this.stopping;
  }

  summary(): string {
    return upSummary({
      options: this.options,
      varDir: this.varDir,
      plan: this.plan,
      pids: {
        nginx: this.nginx?.pid,
        redis: this.redis?.pid,
        postgres: this.postgres?.pid,
        watchdog: this.watchdog?.pid,
        nodes: new Map([...this.nodes].map(([id, c]) => [id, c.pid])),
        workers: this.workers.map((w) => w.pid),
      },
      embeddedRedis: this.redis !== undefined,
      embeddedPostgres: this.postgres !== undefined,
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
