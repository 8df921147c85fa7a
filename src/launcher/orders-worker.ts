import { BACKGROUND_NICE } from './embedded-postgres.js';
import { ORDER_WORKER_READY } from '../log/ready-lines.js';
import { entryCommand } from './nodes.js';
import { loggedReady } from './probe.js';
import type { ChildSpec } from './supervisor.js';

export interface WorkerSpecOptions {
  projectRoot: string;
  index: number;
  redisUrl: string;
  databaseUrl: string;
  logFile: string;
  /** `up`'s pid: the worker finishes its batch and exits when that process is gone. */
  parentPid: number;
  /** The nodes' e-ticket keys: paid orders are stored with their ticket. */
  ticketKeysDir: string;
  /** With `up --redis-replicas N`: an order reaches PostgreSQL once N replicas have it (CONFIRM_REPLICAS). */
  confirmReplicas?: number;
}

/** How `up` runs one `ticket-spike orders-worker` (the orders' way from Redis to PostgreSQL). */
export function ordersWorkerSpec(o: WorkerSpecOptions): ChildSpec {
  const { command, args, main } = entryCommand(o.projectRoot, 'cli/main');
  const name = `orders-worker-${o.index + 1}`;
  const flags = ['orders-worker', '--consumer', name, '--parent-pid', String(o.parentPid), '--ticket-keys', o.ticketKeysDir];
  return {
    name,
    // Below the nodes in CPU priority, every thread of it (nice(1) before exec; setpriority from inside
    // would lower only the calling thread, not V8's GC helpers): the worker runs behind the sale.
    command: 'nice',
    args: ['-n', String(BACKGROUND_NICE), command, ...args, ...flags],
    cmdlineHas: [main, flags.join(' ')],
    cwd: o.projectRoot,
    // The database URL carries a password: by environment, never argv (visible in ps).
    env: { ...process.env, REDIS_URL: o.redisUrl, DATABASE_URL: o.databaseUrl, ...(o.confirmReplicas ? { CONFIRM_REPLICAS: String(o.confirmReplicas) } : {}) },
    logFile: o.logFile,
    background: BACKGROUND_NICE,
    // SIGTERM: it finishes the batch in hand (commit, retire, ack) and exits 0.
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    // It has no port: it is ready once it says so in its log (schema checked, about to read the streams). Until
    // then it may not even be loaded (nor watching up): on a loaded machine a niced process takes seconds for that.
    ready: (signal, pid) => (pid === undefined ? Promise.reject(new Error('no pid')) : loggedReady(o.logFile, pid, ORDER_WORKER_READY, signal)),
    readyTimeoutMs: 60_000,
  };
}
