import type { SaleFacts, SaleInfo, TrainInfo } from '../../sale/types.js';
import type { TrainConfig } from '../../rules/train-config.js';
import { SeatBoard } from '../../sale/seat-board.js';
import { QueueBoard } from '../../sale/queue-board.js';
import { trainView } from '../../sale/train-catalogue.js';

function trainInfo(train: TrainConfig): TrainInfo {
  const view = trainView(train);
  return { ...view, board: SeatBoard.create(train.stations.length - 1, view.classes.length).buffer };
}

export interface KnownSale {
  info: SaleInfo;
  /** The last status read from Redis (by lookup or by the reconciler). */
  last: SaleFacts;
  lastReadAt: number;
}

/** A node starts letting go of a sale's slot this long after its closesAt (purchases are refused from closesAt on). */
export const RETIRE_AFTER_MS = 1000;
/** Slot -1: a finished sale. Threads answer it "not open" and never touch shared memory for it. */
export const NO_SLOT = -1;

export interface RegistryHooks {
  /** A sale got its slot: set its shared memory, then tell the threads. */
  onNew(sale: KnownSale): void;
  /** A finished sale leaves: tell the threads to forget it; each answers with acknowledged(). */
  onRetire(sale: KnownSale): void;
  /** Every thread let go of the slot (or the quarantine passed): zero its counters before it is reused. */
  clearSlot(slot: number, quarantined: boolean): void;
}

export interface RegistryOptions {
  /** Stock slots (--max-sales). */
  slots: number;
  /** Threads that must acknowledge a retirement. */
  threads: number;
  /** A slot whose threads did not all acknowledge is reused after this (--deadline-ms + 1 s). */
  quarantineMs: number;
  missTtlMs?: number;
  now?: () => number;
}

interface Retiring {
  saleId: string;
  waiting: number;
  until: number;
}

/** closesAt + RETIRE_AFTER_MS has passed: the sale keeps no slot on this node. */
export function isFinished(closesAt: number | null, now: number): boolean {
  return closesAt !== null && now >= closesAt + RETIRE_AFTER_MS;
}

/**
 * Sale id -> stock slot, owned by the main thread. Learns sales from Redis at start and periodically, and on
 * demand when a thread meets an id it does not know. Only live sales get a slot; a finished one (closesAt +
 * RETIRE_AFTER_MS passed) is answered with slot NO_SLOT and remembered, so GET /orders, pay and cancel —
 * which need no slot — and "not open" answers keep working.
 *
 * Slot reuse: retireDue() takes a finished sale out (no new purchase can find its slot), tells the threads to
 * forget it, and frees the slot only when every thread acknowledged — a thread acknowledges once its
 * purchases of the sale have settled, i.e. once it will never again touch the slot for that sale — or after
 * the quarantine. clearSlot() zeroes it; only then is it handed to a new sale (free list).
 *
 * Misses are cached for `missTtlMs` so a flood of made-up sale ids costs one Redis read per id per second,
 * not one per request; concurrent lookups of the same id share one read.
 */
export class SaleRegistry {
  readonly sales = new Map<string, KnownSale>();
  private readonly finished = new Map<string, SaleInfo>();
  private readonly misses = new Map<string, number>();
  private readonly pending = new Map<string, Promise<SaleInfo | null>>();
  private readonly retiring = new Map<number, Retiring>();
  private readonly free: number[] = [];
  private nextSlot = 0;
  private readonly now: () => number;
  private readonly missTtlMs: number;

  constructor(
    private readonly load: (id: string) => Promise<SaleFacts | null>,
    private readonly hooks: RegistryHooks,
    private readonly options: RegistryOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.missTtlMs = options.missTtlMs ?? 1000;
  }

  get(id: string): KnownSale | undefined {
    return this.sales.get(id);
  }

  /**
   * Finds a sale, reading Redis only when it is neither known nor a recent miss: its info (slot NO_SLOT when
   * finished) or null. Throws when Redis fails, and when this node has no free slot for a live sale.
   * `rememberMiss: false` for a sale that has a place in the registry but no keys yet: a create is between its
   * two steps (place, then sale), and a remembered miss would answer 404 for the new sale for missTtlMs.
   */
  lookup(id: string, options: { rememberMiss?: boolean } = {}): Promise<SaleInfo | null> {
    const known = this.sales.get(id)?.info ?? this.finished.get(id);
    if (known !== undefined) return Promise.resolve(known);
    const missUntil = this.misses.get(id);
    if (missUntil !== undefined && missUntil > this.now()) return Promise.resolve(null);
    let pending = this.pending.get(id);
    if (pending === undefined) {
      pending = this.load(id)
        .then((facts) => {
          if (facts === null) {
            if (options.rememberMiss !== false) this.rememberMiss(id);
            return null;
          }
          const sale = this.add(facts);
          if (sale === null) {
            throw new Error(
              `this node's sale registry is full (--max-sales ${this.options.slots}, ${this.retiring.size} slot(s) being freed): ` +
                'retry shortly; start every node with at least the registry capacity',
            );
          }
          return sale;
        })
        .finally(() => this.pending.delete(id));
      this.pending.set(id, pending);
    }
    return pending;
  }

  /** Registers a sale read from Redis: its info (known or new, with its slot), NO_SLOT when finished, null when full. */
  add(facts: SaleFacts): SaleInfo | null {
    const known = this.sales.get(facts.id)?.info ?? this.finished.get(facts.id);
    if (known !== undefined) return known;
    const info: SaleInfo = {
      id: facts.id,
      slot: NO_SLOT,
      total: facts.total,
      anonymous: facts.anonymous,
      perUserLimit: facts.perUserLimit,
      holdSeconds: facts.holdSeconds,
      opensAt: facts.opensAt,
      closesAt: facts.closesAt,
      // Every thread makes the sale's order ids with it (src/sale/ids.ts); it never changes, so follow() leaves it.
      idKey: facts.idKey,
      // A train's seat board is made once per node and shared with the threads through the 'sale' message (a
      // SharedArrayBuffer is shared, not copied); the reconciler and the threads' batch replies fill it.
      train: facts.train === undefined ? null : trainInfo(facts.train),
      queue: facts.queue === undefined ? null : QueueBoard.create(facts.queue).buffer,
    };
    this.misses.delete(facts.id);
    if (isFinished(facts.closesAt, this.now())) {
      this.rememberFinished(info);
      return info;
    }
    const slot = this.free.pop() ?? (this.nextSlot < this.options.slots ? this.nextSlot++ : NO_SLOT);
    if (slot === NO_SLOT) return null; // full: the thread answers 503 (lookup failed), never 404
    info.slot = slot;
    const sale: KnownSale = { info, last: facts, lastReadAt: this.now() };
    this.sales.set(facts.id, sale);
    this.hooks.onNew(sale);
    return info;
  }

  /**
   * The reconciler read `facts`: an operator's close moved closesAt (to the moment of the close) and added
   * stock changed total. The sale's info takes them, so retireDue() frees its slot RETIRE_AFTER_MS after the
   * new closesAt and sweepable() sweeps its holds, as for a sale that closed on schedule.
   */
  follow(sale: KnownSale, facts: SaleFacts): boolean {
    sale.info.closesAt = facts.closesAt;
    sale.info.total = facts.total;
    if (facts.queue === undefined || sale.info.queue !== null) return false;
    // An operator gave the sale a waiting room (lua/queue-set-1.lua): the threads must learn its board.
    sale.info.queue = QueueBoard.create(facts.queue).buffer;
    return true;
  }

  /** Retires every sale finished by now and frees the slots whose quarantine passed. Main thread, periodically. */
  retireDue(): void {
    const now = this.now();
    for (const sale of [...this.sales.values()]) {
      if (!isFinished(sale.info.closesAt, now)) continue;
      this.sales.delete(sale.info.id);
      this.rememberFinished({ ...sale.info, slot: NO_SLOT });
      this.retiring.set(sale.info.slot, { saleId: sale.info.id, waiting: this.options.threads, until: now + this.options.quarantineMs });
      this.hooks.onRetire(sale);
      if (this.options.threads === 0) this.release(sale.info.slot, false);
    }
    for (const [slot, r] of this.retiring) if (r.until <= now) this.release(slot, true);
  }

  /** A thread let go of `slot` (it will never again touch it for `saleId`). */
  acknowledged(slot: number, saleId: string): void {
    const r = this.retiring.get(slot);
    if (r === undefined || r.saleId !== saleId) return; // late, after the quarantine freed it
    if (--r.waiting <= 0) this.release(slot, false);
  }

  private release(slot: number, quarantined: boolean): void {
    this.retiring.delete(slot);
    this.hooks.clearSlot(slot, quarantined);
    this.free.push(slot);
  }

  /** Slots in use or being freed: when it equals --max-sales, a new sale must wait. */
  get used(): number {
    return this.sales.size + this.retiring.size;
  }

  get full(): boolean {
    return this.free.length === 0 && this.nextSlot >= this.options.slots;
  }

  private rememberMiss(id: string): void {
    // Bound the cache itself: a flood of distinct bogus ids must not grow memory without limit.
    if (this.misses.size >= 10_000) this.misses.clear();
    this.misses.set(id, this.now() + this.missTtlMs);
  }

  private rememberFinished(info: SaleInfo): void {
    if (this.finished.size >= 10_000) this.finished.clear(); // forgotten ones are read again: one read each
    this.finished.set(info.id, info);
  }

  /** Live sales (with a slot). */
  list(): KnownSale[] {
    return [...this.sales.values()];
  }

  /**
   * Sales whose holds may still need sweeping: the live ones and finished ones until their last hold's
   * deadline (closesAt + holdSeconds) plus a minute.
   */
  sweepable(): Array<Pick<KnownSale, 'info'>> {
    const now = this.now();
    const done = [...this.finished.values()].filter((s) => s.closesAt !== null && now < s.closesAt + s.holdSeconds * 1000 + 60_000);
    return [...this.list(), ...done.map((info) => ({ info }))];
  }
}
