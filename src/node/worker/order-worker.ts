import type { Cluster, Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { saleKeys } from '../../redis/keys.js';
import { ack, claimStale, cutBelow, ensureOrderGroup, readNew, type StreamEntry } from '../../redis/order-stream.js';
import type { SaleEngine } from '../../sale/engine.js';
import type { OrderStore } from '../../store/order-store.js';
import { MAX_RETIRE_PER_CALL } from '../../sale/retention.js';
import { signTicket, type TicketSigningKey } from '../../tickets/format.js';
import { checkInsFromRedis, isFinal, namedOrders, rowsFromRedis } from './order-rows-from-redis.js';

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
  /** Re-list the sales this often. */
  refreshMs: number;
  /** Signs the e-ticket stored with each paid order (the nodes' key: the same bytes pay answered). */
  ticketKey?: () => TicketSigningKey | undefined;
}

export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface BatchResult {
  entries: number;
  orders: number;
  written: number;
  retired: number;
}

/**
 * One order worker: carries every order from each sale's Redis stream into PostgreSQL, and then lets Redis
 * forget what is final. Per batch, in this order (each step is safe to repeat, so a crash anywhere only means
 * the batch is done again):
 *   1. read entries for this consumer (first any a dead worker left pending: XAUTOCLAIM, then new ones);
 *   2. read the CURRENT state of every order they name from the orders hash (one HMGET);
 *   3. one multi-row upsert — a status never goes backwards, so a late or repeated row changes nothing;
 *   4. retire the orders that are final (their records leave Redis; after the COMMIT, never before);
 *   5. XACK the entries (an entry is acknowledged only once everything it names is committed);
 *   6. now and then trim the stream below what the group still needs.
 * Several workers may run: the group hands each entry to one of them.
 */
export class OrderWorker {
  private sales: string[] = [];
  private listedAt = 0;
  /** Sales whose group exists -> the sales row last written for it ('' = none: the sale's keys are gone). */
  private readonly known = new Map<string, string>();
  private readonly lastClaim = new Map<string, number>();
  private readonly lastTrim = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly engine: SaleEngine,
    private readonly store: OrderStore,
    private readonly options: OrderWorkerOptions,
    private readonly log: WorkerLog,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  /** Loops until stop(): every sale in turn; a failing step (Redis or PostgreSQL down) waits and retries. */
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
        this.log.warn({ err: (err as Error).message, retryInMs: backoff }, 'order worker step failed; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  /** One batch from every sale; returns the entries handled. */
  async pass(): Promise<number> {
    await this.refreshSales();
    let handled = 0;
    for (const sale of this.sales) {
      if (this.stopped) break;
      handled += (await this.step(sale)).entries;
    }
    return handled;
  }

  private async refreshSales(): Promise<void> {
    if (Date.now() - this.listedAt < this.options.refreshMs && this.sales.length > 0) return;
    const sales = await this.engine.listSales();
    for (const sale of sales) {
      if (!this.known.has(sale)) await ensureOrderGroup(this.redis, sale);
      // Every refresh, not only the first time: an operator's close (closesAt) or added stock (total) reaches the
      // sales row within --refresh-ms (src/sale/operations.ts); an unchanged row is not written again.
      const keyed = await this.engine.keyedStatus(sale);
      if (keyed !== null) {
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
        if (this.known.get(sale) !== text) await this.store.upsertSale(row, idKey);
        this.known.set(sale, text);
      } else this.known.set(sale, '');
    }
    this.sales = sales;
    this.listedAt = Date.now();
  }

  /** One batch of one sale: stale entries of a dead worker first (checked every claimIdleMs / 2), else new ones. */
  async step(sale: string): Promise<BatchResult> {
    const now = Date.now();
    let entries: StreamEntry[] = [];
    if (now - (this.lastClaim.get(sale) ?? 0) >= this.options.claimIdleMs / 2) {
      this.lastClaim.set(sale, now);
      entries = await claimStale(this.redis, sale, this.options.consumer, this.options.claimIdleMs, this.options.batch);
      if (entries.length > 0) this.log.info({ sale, entries: entries.length }, 'claimed entries a stopped worker left unacknowledged');
    }
    if (entries.length === 0) entries = await readNew(this.redis, sale, this.options.consumer, this.options.batch);
    if (entries.length === 0) {
      await this.trimNowAndThen(sale, now);
      return { entries: 0, orders: 0, written: 0, retired: 0 };
    }
    return this.commit(sale, entries);
  }

  private async commit(sale: string, entries: StreamEntry[]): Promise<BatchResult> {
    const { ids, endedAt, checkedIn } = namedOrders(entries);
    const encoded = ids.length === 0 ? [] : await this.redis.hmget(saleKeys(sale).orders, ...ids);
    const rows = rowsFromRedis(sale, ids, encoded, endedAt, (orderId, err) =>
      this.log.warn({ sale, orderId, err: err.message }, 'an order record cannot be read; left in Redis for the audit'),
    );
    const key = this.options.ticketKey?.();
    if (key !== undefined) {
      // Ed25519 is deterministic: with the key pay used, this is the ticket the buyer holds. The store fills a
      // ticket only where none is stored, so a rotation never replaces one.
      for (const row of rows) if (row.status === 'paid') row.ticket = signTicket({ id: row.orderId, sale: sale, user: row.userId, ...(row.paidAt !== undefined ? { paidAt: row.paidAt } : {}) }, key);
    }
    const { written } = rows.length === 0 ? { written: 0 } : await this.store.upsertOrders(rows);
    // After the rows: a check-in fills columns of a row that must exist (its order was paid, so it was synced).
    if (checkedIn.length > 0) {
      const records = await this.redis.hmget(saleKeys(sale).checkins, ...checkedIn);
      await this.store.recordCheckIns(checkInsFromRedis(checkedIn, records));
    }
    let retired = 0;
    const finals = rows.filter((r) => isFinal(r.status)).map((r) => r.orderId);
    for (let i = 0; i < finals.length; i += MAX_RETIRE_PER_CALL) {
      retired += (await this.engine.retireOrders(sale, finals.slice(i, i + MAX_RETIRE_PER_CALL), this.options.idemWindowMs)).retired;
    }
    await ack(this.redis, sale, entries.map((e) => e.id));
    return { entries: entries.length, orders: rows.length, written, retired };
  }

  /** Trims what the group no longer needs, at most once a second per sale, when the sale is quiet. */
  private async trimNowAndThen(sale: string, now: number): Promise<void> {
    if (now - (this.lastTrim.get(sale) ?? 0) < 1000) return;
    this.lastTrim.set(sale, now);
    const below = await cutBelow(this.redis, sale);
    if (below !== undefined) await this.engine.trimStream(sale, below);
    // Idempotency records whose window has passed since their order retired: an empty retire sweeps them.
    await this.engine.retireOrders(sale, [], this.options.idemWindowMs);
  }
}
