import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { ChaosCluster } from './cluster.js';
import type { Crowd } from './crowd.js';
import { databaseOutage, hostPartition, hostPowerLoss, masterCutOff } from './host-faults.js';
import type { Journal } from './journal.js';
import type { Rng } from './rng.js';

/** The faults of the one-Redis layout (the default). */
export const FAULTS = ['node-kill', 'redis-kill', 'redis-pause', 'client-abort', 'idle-reuse', 'drop-reply', 'script-flush'] as const;
/** The faults of the replicated layout (`--replicated`): the master lost, hung, switched; a replica lost. */
export const REPLICATED_FAULTS = ['master-kill', 'master-pause', 'planned-failover', 'replica-kill', 'node-kill', 'client-abort', 'script-flush'] as const;
/** The faults of the layout across hosts (`--hosts`): a host's power, its cable, the master cut off with its own
 *  node (split brain), the database host away; the replicated faults work there too. */
export const HOST_FAULTS = ['host-power-loss', 'host-partition', 'master-cut-off', 'db-outage'] as const;
export type Fault = (typeof FAULTS)[number] | (typeof REPLICATED_FAULTS)[number] | (typeof HOST_FAULTS)[number];
/** Faults after which the authority may be another server, which may lack writes nobody was told about. */
export const MASTER_CHANGES: ReadonlySet<Fault> = new Set(['master-kill', 'master-pause', 'planned-failover', 'host-power-loss', 'host-partition', 'master-cut-off']);

/** A fault that happened, with when it started and ended (journal ms), so the auditor can tell whether an
 *  error a buyer saw overlaps one. */
export interface FaultEvent {
  fault: Fault;
  from: number;
  to: number;
  detail: string;
}

export interface FaultContext {
  cluster: ChaosCluster;
  crowd: Crowd;
  journal: Journal;
  /** A direct connection to Redis (not through the proxy), for SCRIPT FLUSH. */
  admin: Redis;
  /** The nodes' command deadline: pauses and dropped replies outlast it. */
  commandTimeoutMs: number;
  /** The run's sale (buyers a fault adds buy in it). */
  sale: string;
  /** How long a partition or a database outage lasts, seconds. */
  cutSeconds: number;
}

/** Runs one fault to its end and reports what it did. */
async function inject(fault: Fault, ctx: FaultContext, rng: Rng): Promise<string> {
  switch (fault) {
    case 'node-kill': {
      const index = rng.int(0, ctx.cluster.nodes.length - 1);
      const downMs = rng.int(200, 1500);
      await ctx.cluster.killNode(index, downMs);
      return `SIGKILL node ${index + 1}, restarted after ${downMs} ms`;
    }
    case 'redis-kill': {
      const downMs = rng.int(100, 1000);
      await ctx.cluster.killRedis(downMs);
      return `SIGKILL redis, restarted on its AOF after ${downMs} ms`;
    }
    case 'redis-pause': {
      const pauseMs = ctx.commandTimeoutMs + rng.int(200, 1500);
      await ctx.cluster.pauseRedis(pauseMs);
      return `SIGSTOP redis for ${pauseMs} ms, then SIGCONT`;
    }
    case 'client-abort': {
      const forMs = rng.int(1000, 3000);
      ctx.crowd.abortChance = 0.3;
      await sleep(forMs);
      ctx.crowd.abortChance = 0;
      return `30% of requests abandoned 0-15 ms after sending, for ${forMs} ms`;
    }
    case 'drop-reply': {
      const { proxy } = ctx.cluster.single();
      const count = rng.int(1, 3);
      const before = proxy.dropped;
      proxy.dropNextReply(count, ctx.crowd.userPrefix);
      await sleep(ctx.commandTimeoutMs + 1500);
      return `${proxy.dropped - before} Redis replies dropped (connection cut after the deadline)`;
    }
    case 'master-kill':
      return ctx.cluster.killMaster(rng.int(500, 2000));
    case 'master-pause':
      return ctx.cluster.pauseMaster(rng.int(200, 1000));
    case 'planned-failover':
      return ctx.cluster.plannedFailover();
    case 'replica-kill':
      return ctx.cluster.killReplica(rng.int(0, 1), rng.int(500, 2000));
    case 'host-power-loss':
      return hostPowerLoss(ctx.cluster, ctx.journal, rng);
    case 'host-partition':
      return hostPartition(ctx.cluster, rng, ctx.cutSeconds);
    case 'master-cut-off':
      return masterCutOff(ctx.cluster, ctx.journal, ctx.sale, ctx.crowd.userPrefix);
    case 'db-outage':
      return databaseOutage(ctx.cluster, ctx.cutSeconds);
    case 'script-flush': {
      await ctx.admin.script('FLUSH');
      await sleep(200);
      return 'SCRIPT FLUSH';
    }
    case 'idle-reuse':
      return 'buyers reuse keep-alive connections idle 11-15 s (runs all along)';
  }
}

/**
 * Injects the enabled faults one after another at seeded moments between `fromMs` and `untilMs` (journal
 * time), each followed by a quiet gap so the system is seen to recover, and records each as a FaultEvent.
 */
export async function runFaults(enabled: readonly Fault[], ctx: FaultContext, rng: Rng, fromMs: number, untilMs: number): Promise<FaultEvent[]> {
  const events: FaultEvent[] = [];
  const scheduled = enabled.filter((f) => f !== 'idle-reuse');
  if (enabled.includes('idle-reuse')) events.push({ fault: 'idle-reuse', from: fromMs, to: untilMs, detail: 'idle keep-alive buyers' });
  if (scheduled.length === 0) return events;
  await sleep(Math.max(0, fromMs - ctx.journal.now()));
  // Every enabled fault at least once, in a seeded order, then seeded picks while time remains.
  const queue = [...scheduled].sort(() => rng.next() - 0.5);
  while (ctx.journal.now() < untilMs) {
    const fault = queue.shift() ?? rng.pick(scheduled);
    const from = ctx.journal.now();
    const detail = await inject(fault, ctx, rng);
    const to = ctx.journal.now();
    events.push({ fault, from, to, detail });
    ctx.journal.fault(fault, detail);
    await sleep(rng.int(300, 1500));
  }
  return events;
}
