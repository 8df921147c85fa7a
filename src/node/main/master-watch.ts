import type { Cluster, Redis } from 'ioredis';
import type { Inventory } from '../../sale/inventory.js';
import type { SlotMemory } from '../../sale/slot-memory.js';
import type { MainToThread } from '../messages.js';
import type { HolderSync } from './holder-sync.js';
import type { KnownSale } from './registry.js';

/**
 * Tells when the Redis this node talks to is another one than before: a Sentinel failover promoted a replica,
 * or a Redis restarted (from its AOF, or empty). Read at every (re)connection — ioredis emits 'ready' after it
 * reconnected, through the Sentinels to whatever they name master now — as the server's run_id, which every
 * redis-server process draws anew at start. A changed run_id calls onSwitch once; the first read only learns it.
 *
 * Why the node cares: what it keeps in shared memory (sold-out flags, orders seen, holder filters) was read from
 * the old master, and the new one may lack writes the old one had (unconfirmed ones, or everything since its
 * last fsync). Until it has re-read every sale from the new master it must not answer "sold out" from memory.
 */
export class MasterWatch {
  private runId: string | null = null;
  private checking = false;
  private again = false;
  private learned!: () => void;
  private readonly first = new Promise<void>((resolve) => (this.learned = resolve));

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly onSwitch: (from: string, to: string) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  private timer: NodeJS.Timeout | undefined;

  /**
   * Checks at every (re)connection and every `everyMs` besides (a read that failed — a busy or restarting Redis —
   * is tried again then; and a connection that came back without a 'ready' this node saw is caught).
   */
  /** Resolves once the first server is known (at once on Cluster, where the node does not watch: see read()). */
  known(): Promise<void> {
    return this.first;
  }

  start(everyMs = 2000): void {
    if (this.redis.isCluster) {
      this.learned();
      return;
    }
    this.redis.on('ready', () => this.check());
    if (this.redis.status === 'ready') this.check();
    this.timer = setInterval(() => {
      if (this.redis.status === 'ready') this.check();
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the run_id now (also when a caller has other reasons to suspect a switch). */
  check(): void {
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    this.read()
      .then((runId) => {
        if (this.runId !== null && runId !== this.runId) this.onSwitch(this.runId, runId);
        this.runId = runId;
        this.learned();
      })
      .catch((err: unknown) => {
        // A Redis that refuses INFO (renamed or denied, as managed ones may): nothing to watch with. The node then
        // relies on its reconciler alone, and must not wait for a server it will never learn.
        if (err instanceof Error && /unknown command|NOPERM|no permissions/i.test(err.message)) {
          this.stop();
          this.learned();
        }
        this.onError(err);
      })
      .finally(() => {
        this.checking = false;
        if (this.again) {
          this.again = false;
          this.check();
        }
      });
  }

  private async read(): Promise<string> {
    // Not on Cluster (start() returns first): a "switch" is per shard there and ioredis follows MOVED by itself; the
    // reconciler re-reads every sale within --reconcile-ms. One run_id (a random node's) would only make noise.
    const info = await (this.redis as Redis).info('server');
    const m = /^run_id:([0-9a-f]+)/m.exec(info);
    if (m === null) throw new Error('INFO server has no run_id');
    return m[1];
  }
}

/**
 * After a switch (MasterWatch): nothing read from the old master may answer from memory. Every sale's sold-out flag
 * off and its orders seen back to 0 — buyers go to Redis, which decides — and every holder filter dropped in the
 * main thread and the threads. The caller then re-reads every sale from the new master (the reconciler), which sets
 * the flags again from what it has.
 */
export function forgetOldMaster(p: {
  sales: readonly KnownSale[];
  inventory: Inventory;
  slots: SlotMemory;
  holderSync: HolderSync;
  broadcast: (message: MainToThread) => void;
}): void {
  p.holderSync.forgetAll();
  for (const sale of p.sales) {
    p.inventory.forgetSoldOut(sale.info);
    p.slots.resetOrdersSeen(sale.info.slot);
  }
  p.broadcast({ type: 'holders-reset' });
}
