import type { JoinAsk, QueueJoin } from './queue-scripts.js';

interface Waiting {
  ask: JoinAsk;
  resolve(joined: QueueJoin): void;
  reject(err: unknown): void;
}

/** lua/queue-join-4.lua takes at most this many buyers per call (its MAX_BATCH, the purchases' too). */
const MAX_JOINS = 512;

/**
 * Joins gathered per sale for one event-loop turn and sent as one script call: a crowd joining at once costs
 * Redis one call per thread and turn instead of one per buyer (measured in bench/queue/arrival.ts). A failed call
 * fails each of its joins alike; a join is idempotent (a buyer who joined before reads the first join back), so
 * the buyer's retry is safe.
 */
export class QueueJoins {
  private readonly pending = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(private readonly run: (saleId: string, joins: JoinAsk[]) => Promise<QueueJoin[]>) {}

  join(saleId: string, ask: JoinAsk): Promise<QueueJoin> {
    return new Promise((resolve, reject) => {
      let waiting = this.pending.get(saleId);
      if (waiting === undefined) {
        waiting = [];
        this.pending.set(saleId, waiting);
      }
      waiting.push({ ask, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.pending];
    this.pending.clear();
    for (const [saleId, waiting] of all) {
      for (let at = 0; at < waiting.length; at += MAX_JOINS) {
        const part = waiting.slice(at, at + MAX_JOINS);
        this.run(saleId, part.map((w) => w.ask)).then(
          (answers) => part.forEach((w, i) => w.resolve(answers[i])),
          (err: unknown) => part.forEach((w) => w.reject(err)),
        );
      }
    }
  }
}
