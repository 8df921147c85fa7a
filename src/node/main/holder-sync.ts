import { HolderFilter } from '../../sale/holder-filter.js';
import type { HolderLogPage, SaleFacts } from '../../sale/types.js';

/** Entries per read of a sale's holder log: about 1 MB, a few ms of Redis. */
export const HOLDER_LOG_PAGE = 20_000;

interface SaleLog {
  filter: HolderFilter;
  /** Where the next read of the log starts. */
  cursor: number;
  /** Entries in the filter, to tell when it has outgrown its capacity. */
  added: number;
  /** Whether the threads have this filter (a new one is sent once, then only filled in place). */
  sent: boolean;
}

/**
 * Main thread: keeps each sold-out sale's holder filter (src/sale/holder-filter.ts) current. A sale that is sold
 * out (by a status read, or a thread's word that a batch reply made it so) and whose filter is older than its
 * orders gets its holder log read from where the last read ended (lua/holder-log-4.lua) — the holds made since,
 * not every holder again — page by page until it has all of it, and only then publishes the orders count it is
 * complete up to. The threads share the filter: it is sent to them once (a SharedArrayBuffer is not copied) and
 * filled in place afterwards. One read per sale at a time; a refresh asked meanwhile runs after it. A sale that
 * is not sold out needs none (every purchase goes to Redis anyway).
 */
export class HolderSync {
  private readonly logs = new Map<string, SaleLog>();
  private readonly reading = new Set<string>();
  private readonly again = new Set<string>();
  /** Bumped by forgetAll(): a read that began before is dropped and made again. */
  private generation = 0;

  constructor(
    private readonly read: (saleId: string, cursor: number, max: number) => Promise<HolderLogPage | null>,
    private readonly send: (saleId: string, filter: SharedArrayBuffer) => void,
    private readonly onError: (err: unknown) => void,
    private readonly pageSize = HOLDER_LOG_PAGE,
  ) {}

  /** After a status read. */
  check(facts: SaleFacts): void {
    // A train answers "sold out for this part of the route" while seats are left elsewhere on it: its buyers'
    // filter is kept current from the first order on, not only once the whole sale is sold out.
    if ((facts.remaining <= 0 || facts.kind === 'train') && this.synced(facts.id) < facts.ordersMade) this.refresh(facts.id);
  }

  /** The orders count the sale's filter is complete up to; -1 without one. */
  synced(saleId: string): number {
    return this.logs.get(saleId)?.filter.synced ?? -1;
  }

  /** The sale finished and left the node: no more reads for it. */
  forget(saleId: string): void {
    this.logs.delete(saleId);
  }

  /** The master changed: every filter was read from the old one; a sale read now starts from its new log. */
  forgetAll(): void {
    this.logs.clear();
    // A read on the way was of the old master (or raced the switch): its page must not fill a new filter.
    this.generation++;
  }

  refresh(saleId: string): void {
    if (this.reading.has(saleId)) {
      this.again.add(saleId);
      return;
    }
    this.reading.add(saleId);
    this.catchUp(saleId)
      .catch(this.onError)
      .finally(() => {
        this.reading.delete(saleId);
        if (this.again.delete(saleId)) this.refresh(saleId);
      });
  }

  private async catchUp(saleId: string): Promise<void> {
    const generation = this.generation;
    for (;;) {
      let log = this.logs.get(saleId);
      const page = await this.read(saleId, log?.cursor ?? 0, this.pageSize);
      if (generation !== this.generation) {
        this.again.add(saleId);
        return;
      }
      if (page === null) {
        this.logs.delete(saleId);
        return;
      }
      if (page.next < 0) {
        // The cursor is past the log's end: not the log this filter was made from. Start over with a new one.
        this.logs.delete(saleId);
        continue;
      }
      const seen = Math.max(page.length, page.entries.length);
      if (log === undefined) {
        log = { filter: HolderFilter.create(2 * seen), cursor: 0, added: 0, sent: false };
        this.logs.set(saleId, log);
      } else if (log.added + page.entries.length > log.filter.capacity) {
        // Outgrown: more false "maybe"s from here on. A bigger one, filled from the start; the threads keep the
        // old one until the new one is complete and sent.
        this.logs.set(saleId, { filter: HolderFilter.create(4 * Math.max(seen, log.added + page.entries.length)), cursor: 0, added: 0, sent: false });
        continue;
      }
      for (const entry of page.entries) log.filter.add(entry);
      log.added += page.entries.length;
      log.cursor = page.next;
      if (page.next >= page.length) {
        log.filter.publish(page.ordersMade);
        if (!log.sent) {
          log.sent = true;
          this.send(saleId, log.filter.buffer);
        }
        return;
      }
    }
  }
}
