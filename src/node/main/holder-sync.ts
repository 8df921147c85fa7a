import type { HolderSnapshot, SaleFacts } from '../../sale/types.js';

/**
 * Main thread: keeps the uWS threads' copy of who may hold something in each sold-out sale current. A sale
 * that is sold out (by a status read, or a thread's word that a batch reply made it so) and whose last
 * snapshot is older than its orders gets one snapshot read (lua/holder-index-3.lua) and a broadcast. One read
 * per sale at a time; a sale that is not sold out needs none (every purchase goes to Redis anyway).
 */
export class HolderSync {
  /** ordersMade of the snapshot last sent, per sale. */
  private readonly sent = new Map<string, number>();
  private readonly reading = new Set<string>();

  constructor(
    private readonly read: (saleId: string) => Promise<HolderSnapshot | null>,
    private readonly send: (saleId: string, snapshot: HolderSnapshot) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** After a status read. */
  check(facts: SaleFacts): void {
    if (facts.remaining <= 0 && (this.sent.get(facts.id) ?? -1) < facts.ordersMade) this.refresh(facts.id);
  }

  /** The sale finished and left the node: no more snapshots for it. */
  forget(saleId: string): void {
    this.sent.delete(saleId);
  }

  refresh(saleId: string): void {
    if (this.reading.has(saleId)) return;
    this.reading.add(saleId);
    this.read(saleId)
      .then((snapshot) => {
        if (snapshot === null || snapshot.ordersMade < (this.sent.get(saleId) ?? -1)) return;
        this.sent.set(saleId, snapshot.ordersMade);
        this.send(saleId, snapshot);
      })
      .catch(this.onError)
      .finally(() => this.reading.delete(saleId));
  }
}
