import type { WorkerSalesCount } from '../../metrics/worker-metrics.js';
import type { SaleStatus } from '../../sale/types.js';

/**
 * Where a sale stands in an order worker's polling set:
 *   new      listed in ts:sales, not yet read (its group is made and its sales row written on the first refresh);
 *   active   polled every pass;
 *   dormant  finished and drained: closed (it never opens again), nothing held (no pay or expiry can come), nothing
 *            pending or unread in its group, so every order it made is in PostgreSQL and retired. Only a check-in
 *            can still append an entry: looked at again every dormantCheckMs (one XINFO GROUPS and one empty
 *            retire that sweeps idempotency records past their window), active again when its group owes anything;
 *   gone     listed, but its keys are not in Redis: looked at again every dormantCheckMs (one status read).
 */
export type Mode = 'new' | 'active' | 'dormant' | 'gone';

/** What the worker keeps per sale between passes. */
export interface SaleSlot {
  mode: Mode;
  /** The sales row last written for it (JSON of row and order-id key); undefined: write it on the next refresh. */
  row?: string;
  /** Its status as last read (every refreshMs while active). */
  status?: SaleStatus;
  /** Read this consumer's own pending entries (XREADGROUP 0) before new ones: after a failure, and at start. */
  ownPending: boolean;
  /** Where the next XAUTOCLAIM goes on ('0-0': from the start, once claimIdleMs / 2 has passed since the last). */
  claimCursor: string;
  lastClaim: number;
  lastTrim: number;
  /** Not stepped before this (backoff after a failure). */
  retryAt: number;
  /** Failures in a row, and since start. */
  failures: number;
  errors: number;
  loggedAt: number;
  /** dormant / gone: when it was last looked at. */
  checkedAt: number;
}

function newSlot(): SaleSlot {
  return { mode: 'new', ownPending: true, claimCursor: '0-0', lastClaim: -Infinity, lastTrim: -Infinity, retryAt: -Infinity, failures: 0, errors: 0, loggedAt: -Infinity, checkedAt: -Infinity };
}

/** Back to polling every pass, reading its own pending entries and claiming from the start first. */
export function wake(slot: SaleSlot): void {
  Object.assign(slot, { mode: 'active', ownPending: true, claimCursor: '0-0', lastClaim: -Infinity, lastTrim: -Infinity });
}

/** Its keys are not in Redis: looked at again now and then, its row written again if it comes back. */
export function markGone(slot: SaleSlot, now: number): void {
  Object.assign(slot, { mode: 'gone', checkedAt: now, row: undefined, status: undefined, failures: 0 });
}

/** Every sale the worker has seen listed, in the order first listed. */
export class SaleSlots {
  private readonly slots = new Map<string, SaleSlot>();

  /** The slot of a sale (a new one the first time). */
  of(sale: string): SaleSlot {
    let slot = this.slots.get(sale);
    if (slot === undefined) {
      slot = newSlot();
      this.slots.set(sale, slot);
    }
    return slot;
  }

  /** ts:sales as just read: new ids get a slot, ids no longer listed lose theirs. */
  relist(ids: readonly string[]): void {
    const listed = new Set(ids);
    for (const sale of ids) this.of(sale);
    for (const sale of [...this.slots.keys()]) if (!listed.has(sale)) this.slots.delete(sale);
  }

  entries(): IterableIterator<[string, SaleSlot]> {
    return this.slots.entries();
  }

  polling(): Record<'active' | 'dormant' | 'gone', string[]> {
    const out: Record<'active' | 'dormant' | 'gone', string[]> = { active: [], dormant: [], gone: [] };
    for (const [sale, slot] of this.slots) if (slot.mode !== 'new') out[slot.mode].push(sale);
    return out;
  }

  count(): WorkerSalesCount {
    const count = { active: 0, dormant: 0, gone: 0 };
    for (const slot of this.slots.values()) if (slot.mode !== 'new') count[slot.mode]++;
    return count;
  }

  /** The dormant or gone sale looked at longest ago, if `everyMs` has passed since (one a pass: O(sales) in memory). */
  nextResting(now: number, everyMs: number): [string, SaleSlot] | undefined {
    let due: [string, SaleSlot] | undefined;
    for (const entry of this.slots) {
      const slot = entry[1];
      if ((slot.mode === 'dormant' || slot.mode === 'gone') && now - slot.checkedAt >= everyMs && (due === undefined || slot.checkedAt < due[1].checkedAt)) due = entry;
    }
    return due;
  }
}
