import { assertSaleId } from '../redis/keys.js';
import { BATCH_SIZE } from '../rules/input-rules.js';
import type { SaleEngine } from './engine.js';
import { defaultTag, newBatchId } from './ids.js';
import { checkPurchase } from './purchase-checks.js';
import { NODE_TIMERS, type Timers } from './timers.js';
import type { BatchResult, PurchaseRequest } from './types.js';

/**
 * Per-connection purchase batcher: purchases for one sale queue up and flush as ONE reserve-batch script
 * call when the batch is full (maxBatch) or after windowMs, whichever comes first. Each purchase gets its
 * own promise, resolved with its own result and the sale's global `remaining` that came back with its batch
 * (the thread lowers its quota from it).
 *
 * "unknown": when Redis answers with an error (timeout, connection lost) or the reply misses the deadline,
 * the script MAY OR MAY NOT have run — the command may still sit in a socket buffer and run later. The
 * purchase then resolves { outcome: 'unknown' }: the caller answers 503 (and gives its local stock unit
 * back); the truth is learned later by idempotency key or GET /orders/{id}. A purchase never resolves as a
 * success without the Redis reply that recorded it.
 */
export interface BatcherOptions {
  /** Flush when this many purchases of one sale are queued. BATCH_SIZE (1..512), default 128. */
  maxBatch?: number;
  /** Flush a partial batch after this many ms. 0..1000, default 1 (0 = next setImmediate). */
  windowMs?: number;
  /**
   * A purchase is answered at most this many ms after reserve(): without a Redis reply by then it resolves
   * 'unknown' (the batch's oldest purchase sets the clock, so later ones may get a little less). 10..60000,
   * default 1500.
   */
  deadlineMs?: number;
  /**
   * Batches of one sale allowed on the wire at once. While that many wait for Redis, new purchases queue
   * and leave together when a reply comes back (group commit): under load the batch grows to what one
   * Redis round trip (script + AOF fsync) lets through, so Redis pays its per-call cost, its fsync and its
   * syscalls once per many purchases; at low load nothing waits. A full batch (maxBatch) always leaves at
   * once. 1..64, default 2.
   */
  maxInFlight?: number;
  /** Where the window and deadline timers are set (tests: a clock moved by hand); Node's by default. */
  timers?: Timers;
}

/** A purchase Redis decided, with the sale's remaining (total - held - paid) and ordersMade right after its batch. */
export type DecidedPurchase = BatchResult;

/** No reply in time, or a Redis error: the script may or may not have run. */
export interface UndecidedPurchase {
  outcome: 'unknown';
  orderId: string;
  reason: string;
}

export type ReserveOutcome = DecidedPurchase | UndecidedPurchase;

interface FilledOptions {
  maxBatch: number;
  windowMs: number;
  deadlineMs: number;
  maxInFlight: number;
  timers: Timers;
}

const DEFAULTS: FilledOptions = { maxBatch: 128, windowMs: 1, deadlineMs: 1500, maxInFlight: 2, timers: NODE_TIMERS };

function fill(options: BatcherOptions): FilledOptions {
  const out = { ...DEFAULTS };
  const check = (name: Exclude<keyof FilledOptions, 'timers'>, lo: number, hi: number) => {
    const v = options[name];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new TypeError(`ReservationBatcher: options.${name} must be an integer from ${lo} to ${hi}, got ${String(v)}`);
    }
    out[name] = v;
  };
  check('maxBatch', BATCH_SIZE.min, BATCH_SIZE.max);
  check('windowMs', 0, 1000);
  check('deadlineMs', 10, 60_000);
  check('maxInFlight', 1, 64);
  if (options.timers !== undefined) out.timers = options.timers;
  return out;
}

interface Queued {
  purchase: PurchaseRequest;
  enqueuedAt: number;
  resolve: (outcome: ReserveOutcome) => void;
}

interface SaleQueue {
  items: Queued[];
  /** The window's timer: a handle of options.timers, or an Immediate (windowMs 0). */
  timer: unknown;
  /** True when `timer` is an Immediate. */
  immediate: boolean;
  /** Batches of this sale sent and not yet settled (reply, error or deadline). */
  inFlight: number;
}

export class ReservationBatcher {
  private readonly options: FilledOptions;
  private readonly queues = new Map<string, SaleQueue>();
  private readonly inFlight = new Set<Promise<void>>();
  private pendingCount = 0;

  constructor(
    private readonly engine: SaleEngine,
    options: BatcherOptions = {},
    private readonly idTag: string = defaultTag(),
  ) {
    this.options = fill(options);
    newBatchId(idTag); // checks the tag now rather than at the first flush
  }

  /** Purchases queued or in flight whose promise has not resolved yet. */
  get pending(): number {
    return this.pendingCount;
  }

  /** True while a purchase of `saleId` is queued or on the wire (its promise not resolved yet). */
  busy(saleId: string): boolean {
    return this.queues.has(saleId);
  }

  /**
   * Queues one purchase. Rejects at once with EngineError (ERR_INVALID_ARGUMENT) on a malformed sale id
   * or purchase, so one bad request never fails its batch; otherwise resolves, never rejects.
   */
  reserve(saleId: string, purchase: PurchaseRequest): Promise<ReserveOutcome> {
    return new Promise<ReserveOutcome>((resolve, reject) => {
      try {
        this.reserveTo(saleId, purchase, resolve);
      } catch (err) {
        reject(err);
      }
    });
  }

  /**
   * reserve() without a promise per purchase (the hot path: a thread's every purchase): `onOutcome` is called
   * exactly once with the outcome — from the batch's reply, its error or its deadline, or at once when the batch
   * it joins had already waited past its deadline. Throws EngineError (ERR_INVALID_ARGUMENT) on a malformed sale
   * id or purchase, and then never calls `onOutcome`. A throw from `onOutcome` does not keep the rest of its batch
   * from theirs: it is rethrown afterwards, on its own, as an uncaught error (a bug, as before with a promise).
   */
  reserveTo(saleId: string, purchase: PurchaseRequest, onOutcome: (outcome: ReserveOutcome) => void): void {
    assertSaleId(saleId);
    checkPurchase(saleId, purchase);
    let q = this.queues.get(saleId);
    if (q === undefined) {
      q = { items: [], timer: undefined, immediate: false, inFlight: 0 };
      this.queues.set(saleId, q);
    }
    this.pendingCount++;
    q.items.push({ purchase, enqueuedAt: performance.now(), resolve: onOutcome });
    if (q.items.length >= this.options.maxBatch) {
      this.flush(saleId);
    } else if (q.timer === undefined && q.inFlight < this.options.maxInFlight) {
      this.arm(saleId, q);
    }
    // else: a reply of this sale is on its way; settle() sends what queued up meanwhile.
  }

  private arm(saleId: string, q: SaleQueue): void {
    q.immediate = this.options.windowMs === 0;
    q.timer = q.immediate ? setImmediate(() => this.flush(saleId)) : this.options.timers.setTimeout(() => this.flush(saleId), this.options.windowMs);
  }

  /** Flushes everything queued and waits for every in-flight batch (graceful shutdown). */
  async drain(): Promise<void> {
    for (;;) {
      for (const saleId of [...this.queues.keys()]) this.flush(saleId);
      if (this.inFlight.size === 0) return;
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private flush(saleId: string): void {
    const q = this.queues.get(saleId);
    if (q === undefined) return;
    if (q.timer !== undefined) {
      if (q.immediate) clearImmediate(q.timer as NodeJS.Immediate);
      else this.options.timers.clearTimeout(q.timer);
      q.timer = undefined;
    }
    while (q.items.length > 0) this.send(saleId, q, q.items.splice(0, this.options.maxBatch));
    if (q.inFlight === 0) this.queues.delete(saleId);
  }

  private send(saleId: string, q: SaleQueue, batch: Queued[]): void {
    const left = batch[0].enqueuedAt + this.options.deadlineMs - performance.now();
    if (left <= 0) {
      // Waited out its deadline in the queue behind a stuck batch: never sent, so it surely did not run.
      this.pendingCount -= batch.length;
      resolveAll(batch, (item) => ({ outcome: 'unknown', orderId: item.purchase.orderId, reason: 'Redis is not answering; not sent' }));
      return;
    }
    q.inFlight++;
    const timers = this.options.timers;
    let settled = false;
    const settle = (outcomeOf: (item: Queued, i: number) => ReserveOutcome) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(deadline);
      this.pendingCount -= batch.length;
      q.inFlight--;
      resolveAll(batch, outcomeOf);
      // Group commit: what queued while this batch was on the wire leaves now, as one batch.
      if (q.items.length > 0 && q.timer === undefined) this.flush(saleId);
      else if (q.items.length === 0 && q.inFlight === 0 && q.timer === undefined) this.queues.delete(saleId);
    };
    const unknown = (reason: string) => settle((item) => ({ outcome: 'unknown', orderId: item.purchase.orderId, reason }));

    const deadline = timers.setTimeout(
      () => unknown(`no Redis reply within ${this.options.deadlineMs} ms; the outcome is decided later`),
      Math.max(0, left),
    );
    const call = this.engine
      .reserveBatch(saleId, newBatchId(this.idTag), batch.map((b) => b.purchase))
      .then(
        (reply) => settle((_, i) => reply.results[i]),
        (err: unknown) => {
          const e = err as { code?: unknown; message?: unknown };
          unknown(`${typeof e.code === 'string' ? e.code + ': ' : ''}${String(e.message ?? err)}`);
        },
      )
      .finally(() => this.inFlight.delete(call));
    this.inFlight.add(call);
  }
}

/** Each purchase of a batch gets its outcome, whatever one of their callbacks throws (rethrown on its own after). */
function resolveAll(batch: Queued[], outcomeOf: (item: Queued, i: number) => ReserveOutcome): void {
  for (let i = 0; i < batch.length; i++) {
    const item = batch[i];
    try {
      item.resolve(outcomeOf(item, i));
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
