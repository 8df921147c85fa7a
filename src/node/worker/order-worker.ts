import type { Cluster, Redis } from 'ioredis';
import { trainsOf } from './sale-trains.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerCounters } from '../../metrics/worker-metrics.js';
import { EngineError } from '../../redis/codes.js';
import { claimStale, cutBelow, ensureOrderGroup, groupBacklog, readNew, readOwnPending, type StreamEntry } from '../../redis/order-stream.js';
import type { SaleEngine } from '../../sale/engine.js';
import type { OrderStore } from '../../store/order-store.js';
import { MAX_RETIRE_PER_CALL } from '../../sale/retention.js';
import type { TicketSigningKey } from '../../tickets/format.js';
import { commitBatch, type BatchResult, type CommitDeps } from './batch-commit.js';
import { message, saleFailed, type FaultLog } from './sale-faults.js';
import { SaleSlots, markGone, wake, type Mode, type SaleSlot } from './sale-slots.js';

export type { BatchResult } from './batch-commit.js';

export interface OrderWorkerOptions {
  /** This worker's consumer name in every sale's group (unique per process). */
  consumer: string;
  /** Stream entries per XREADGROUP (each names up to a batch of orders). */
  batch: number;
  /** A pending entry idle this long belonged to a worker that died mid-batch: claim it. */
  claimIdleMs: number;
  /** How long a retired order's idempotency record stays (a buyer's retry still gets the order back). */
  idemWindowMs: number;
  /** Pause after a pass that found less than a full batch (entries gather meanwhile). */
  idleMs: number;
  /** Re-read the sales (ts:sales's size, each polled sale's status) this often. */
  refreshMs: number;
  /**
   * A finished, drained sale (closed, nothing held, nothing pending or unread) leaves the polling set and is
   * looked at again this long after its last look (default 60 s), at most one such sale per pass.
   */
  dormantCheckMs?: number;
  /** Signs the e-ticket stored with each paid order (the nodes' key: the same bytes pay answered). */
  ticketKey?: () => TicketSigningKey | undefined;
  /** With replicas: what the entries name is committed only once this many replicas have it (src/node/worker/batch-commit.ts). */
  confirm?: { replicas: number; timeoutMs: number };
  /** Per-sale failures, what was carried, the polling set (Prometheus in run-worker.ts). */
  counters?: WorkerCounters;
  /** The clock of every per-sale timer (ms); tests pass their own. */
  now?: () => number;
}

export type WorkerLog = FaultLog;

export const DEFAULT_DORMANT_CHECK_MS = 60_000;

/**
 * One order worker: carries every order from each sale's Redis stream into PostgreSQL, and then lets Redis
 * forget what is final. Per batch, in this order (each step is safe to repeat, so a crash anywhere only means
 * the batch is done again):
 *   1. read entries for this consumer: first its own pending ones (after a failed commit: XREADGROUP 0, at full
 *      speed), then any a dead worker left pending (XAUTOCLAIM, every claimIdleMs / 2, going on at once while the
 *      scan has more), then new ones (XREADGROUP >);
 *   2. read the CURRENT state of every order they name from the orders hash (one HMGET);
 *   3. one multi-row upsert — a status never goes backwards, so a late or repeated row changes nothing;
 *   4. retire the orders that are final (their records leave Redis; after the COMMIT, never before);
 *   5. XACK the entries (an entry is acknowledged only once everything it names is committed);
 *   6. now and then trim the stream below what the group still needs.
 * Faults stay with their sale: a sale whose step fails is logged and counted, tried again after a backoff, and the
 * other sales go on; NOGROUP (the group destroyed, e.g. the sale made again) re-creates the group. Finished,
 * drained sales leave the polling set (see Mode, sale-slots.ts). Several workers may run: the group hands each
 * entry to one.
 */
export class OrderWorker {
  private readonly slots = new SaleSlots();
  private readonly commitDeps: CommitDeps;
  private listedAt = -Infinity;
  private fullListAt = -Infinity;
  private listedCount = -1;
  private stopped = false;
  private readonly now: () => number;
  private readonly dormantCheckMs: number;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly engine: SaleEngine,
    private readonly store: OrderStore,
    private readonly options: OrderWorkerOptions,
    private readonly log: WorkerLog,
  ) {
    this.now = options.now ?? Date.now;
    this.dormantCheckMs = options.dormantCheckMs ?? DEFAULT_DORMANT_CHECK_MS;
    this.commitDeps = {
      redis,
      engine,
      store,
      idemWindowMs: options.idemWindowMs,
      ticketKey: options.ticketKey,
      confirm: options.confirm,
      trainOf: trainsOf(engine),
      warn: (o, m) => log.warn(o, m),
    };
  }

  stop(): void {
    this.stopped = true;
  }

  /** The polling set: which sales are polled every pass, which now and then. */
  polling(): Record<'active' | 'dormant' | 'gone', string[]> {
    return this.slots.polling();
  }

  /** Loops until stop(): every sale in turn. A sale's failure waits on its own; Redis unable to list sales waits and retries. */
  async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        const done = await this.pass();
        backoff = 100;
        // Less than a full batch: let entries gather before the next read. Fewer, larger commits cost
        // PostgreSQL and this process less CPU per order, which on a shared machine is the purchases' CPU.
        if (done < this.options.batch) await sleep(this.options.idleMs);
      } catch (err) {
        this.log.warn({ err: message(err), retryInMs: backoff }, 'order worker cannot list the sales; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  /**
   * One batch from every active sale, then a look at one dormant or gone sale whose time has come; returns the
   * entries handled. Throws only when the sales cannot be listed (Redis down); a sale's own failure is counted,
   * logged and retried after its backoff, and the other sales go on.
   */
  async pass(): Promise<number> {
    await this.refreshSales();
    let handled = 0;
    for (const [sale, slot] of this.slots.entries()) {
      if (this.stopped) break;
      if (slot.mode !== 'active' || this.now() < slot.retryAt) continue;
      handled += (await this.guarded(sale, slot, () => this.step(sale)))?.entries ?? 0;
    }
    if (!this.stopped) await this.lookAtOneResting();
    this.options.counters?.sales(this.slots.count());
    return handled;
  }

  /**
   * Every refreshMs: ts:sales's size (SCARD; only createSale writes the set, with SADD, so the same size is the same
   * list — read whole only when it changed, and every dormantCheckMs to be sure), then the status of every new and
   * active sale. Dormant and gone sales cost nothing here: a closed sale's row cannot change.
   */
  private async refreshSales(): Promise<void> {
    const now = this.now();
    if (now - this.listedAt < this.options.refreshMs) return;
    const count = await this.engine.countSales();
    if (count !== this.listedCount || now - this.fullListAt >= this.dormantCheckMs) {
      this.slots.relist(await this.engine.listSales());
      this.listedCount = count;
      this.fullListAt = now;
    }
    this.listedAt = now;
    for (const [sale, slot] of this.slots.entries()) {
      if (this.stopped) break;
      if ((slot.mode === 'new' || slot.mode === 'active') && now >= slot.retryAt) await this.guarded(sale, slot, () => this.refreshSale(sale, slot));
    }
  }

  /** Reads one sale's status: its group made (first time), its sales row written when it changed, or `gone`. */
  private async refreshSale(sale: string, slot: SaleSlot): Promise<Mode> {
    const keyed = await this.engine.keyedStatus(sale);
    if (keyed === null) {
      if (slot.mode !== 'gone') this.log.info({ sale }, 'sale listed in ts:sales has no keys in Redis: looked at again now and then');
      markGone(slot, this.now());
      return 'gone';
    }
    if (slot.mode !== 'active') {
      await ensureOrderGroup(this.redis, sale);
      slot.ownPending = true;
      slot.claimCursor = '0-0';
    }
    // Every refresh, not only the first time: an operator's close (closesAt) or added stock (total) reaches the
    // sales row within --refresh-ms (src/sale/operations.ts); an unchanged row is not written again.
    const { status, idKey } = keyed;
    const row = {
      id: sale,
      total: status.total,
      perUserLimit: status.perUserLimit,
      holdSeconds: status.holdSeconds,
      anonymous: status.anonymous,
      ...(status.opensAt > 0 ? { opensAt: status.opensAt } : {}),
      ...(status.closesAt > 0 ? { closesAt: status.closesAt } : {}),
    };
    // With the order-id key: a node asked for an order of a sale Redis no longer has checks the id's tag with it.
    const text = JSON.stringify([row, idKey]);
    if (slot.row !== text) await this.store.upsertSale(row, idKey);
    slot.row = text;
    slot.status = status;
    slot.mode = 'active';
    return slot.mode;
  }

  /** Runs one sale's work; a failure stays with the sale (sale-faults.ts). A sale whose keys are gone becomes `gone`. */
  private async guarded<T>(sale: string, slot: SaleSlot, work: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await work();
      if (slot.failures > 0) this.log.info({ sale, failures: slot.failures, errors: slot.errors }, 'sale recovered');
      slot.failures = 0;
      return result;
    } catch (err) {
      if (err instanceof EngineError && err.code === 'ERR_UNKNOWN_SALE') {
        this.log.info({ sale }, 'sale has no keys in Redis any more: looked at again now and then');
        markGone(slot, this.now());
        return undefined;
      }
      await saleFailed(sale, slot, err, this.now(), { redis: this.redis, log: this.log, counters: this.options.counters });
      return undefined;
    }
  }

  /** The dormant or gone sale looked at longest ago, if dormantCheckMs has passed since: at most one per pass. */
  private async lookAtOneResting(): Promise<void> {
    const now = this.now();
    const due = this.slots.nextResting(now, this.dormantCheckMs);
    if (due === undefined) return;
    const [sale, slot] = due;
    slot.checkedAt = now;
    await this.guarded(sale, slot, () => this.lookAgain(sale, slot));
  }

  private async lookAgain(sale: string, slot: SaleSlot): Promise<void> {
    if (slot.mode === 'gone') {
      if ((await this.refreshSale(sale, slot)) === 'active') this.log.info({ sale }, 'sale has keys in Redis again: polled again');
      return;
    }
    const backlog = await groupBacklog(this.redis, sale);
    // Idempotency records of retired orders whose window passed since the last look (at most 1000 a call).
    const swept = await this.engine.retireOrders(sale, [], this.options.idemWindowMs);
    if (!backlog.group || backlog.pending > 0 || backlog.unread !== 0 || swept.idemDropped >= MAX_RETIRE_PER_CALL) {
      wake(slot);
      this.log.info({ sale, ...backlog }, 'finished sale has work again (a check-in, a lost group, records to sweep): polled again');
    }
  }

  /**
   * One batch of one sale: its own pending entries first (after a failure or at start, until none is left), else
   * stale entries of a dead worker (every claimIdleMs / 2, and at once again while the scan has more), else new ones.
   */
  async step(sale: string): Promise<BatchResult> {
    const slot = this.slots.of(sale);
    const now = this.now();
    const { consumer, batch, claimIdleMs } = this.options;
    let entries: StreamEntry[] = [];
    if (slot.ownPending) {
      entries = await readOwnPending(this.redis, sale, consumer, batch);
      if (entries.length === 0) slot.ownPending = false;
    }
    if (entries.length === 0 && (slot.claimCursor !== '0-0' || now - slot.lastClaim >= claimIdleMs / 2)) {
      if (slot.claimCursor === '0-0') slot.lastClaim = now;
      const claimed = await claimStale(this.redis, sale, consumer, claimIdleMs, batch, slot.claimCursor);
      slot.claimCursor = claimed.next;
      entries = claimed.entries;
      if (entries.length > 0) this.log.info({ sale, entries: entries.length }, 'claimed entries a stopped worker left unacknowledged');
    }
    if (entries.length === 0) entries = await readNew(this.redis, sale, consumer, batch);
    if (entries.length === 0) {
      await this.whenQuiet(sale, slot, now);
      return { entries: 0, orders: 0, written: 0, retired: 0 };
    }
    return this.commit(sale, entries);
  }

  private async commit(sale: string, entries: StreamEntry[]): Promise<BatchResult> {
    const result = await commitBatch(this.commitDeps, sale, entries);
    this.options.counters?.carried(sale, result.entries, result.orders);
    return result;
  }

  /**
   * At most once a second per sale, when it is quiet: trims what the group no longer needs, sweeps idempotency
   * records past their window (an empty retire), and lets a finished, drained sale leave the polling set. Its last
   * status read said closed (it never opens again) and nothing held (no pay or expiry can come): every entry it
   * will ever have but check-ins was written before that read; the read above found nothing new, and no consumer
   * has any pending, so every order it made is committed and retired.
   */
  private async whenQuiet(sale: string, slot: SaleSlot, now: number): Promise<void> {
    if (now - slot.lastTrim < 1000) return;
    slot.lastTrim = now;
    const below = await cutBelow(this.redis, sale);
    if (below !== undefined) await this.engine.trimStream(sale, below);
    const swept = await this.engine.retireOrders(sale, [], this.options.idemWindowMs);
    const status = slot.status;
    if (status === undefined || status.state !== 'closed' || status.held !== 0 || swept.idemDropped >= MAX_RETIRE_PER_CALL || slot.ownPending) return;
    const backlog = await groupBacklog(this.redis, sale);
    // unread null (Redis cannot tell): the read just now found nothing new.
    if (!backlog.group || backlog.pending > 0 || (backlog.unread ?? 0) > 0) return;
    slot.mode = 'dormant';
    slot.checkedAt = now;
    this.log.info({ sale, lookAgainMs: this.dormantCheckMs }, 'sale finished and every order of it is in PostgreSQL: no longer polled every pass');
  }
}
