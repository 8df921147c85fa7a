/** What a buyer saw for one request. `unknown`: no business answer (transport error, abort, 5xx): the
 *  purchase may or may not have been recorded. */
export type Seen = 'ok' | 'soldout' | 'limit' | 'notopen' | 'busy' | 'limited' | 'unknown' | 'rejected';

export interface Attempt {
  user: string;
  key: string;
  /** ms since the run started, when the request was sent and when its answer (or failure) came. */
  sentAt: number;
  doneAt: number;
  seen: Seen;
  status: number;
  orderId?: string;
  /** For rejected / unknown: what came back, for the report. */
  detail?: string;
  /** Sent on a keep-alive connection that had been idle 11-15 s. */
  idleReuse?: boolean;
}

/** One read of the sale's counters straight from Redis (not through the proxy). */
export interface Sample {
  /** ms since the run started, when the read was sent. */
  at: number;
  total: number;
  held: number;
  paid: number;
}

/** Everything the auditor needs from the client side of a run. */
export class Journal {
  readonly attempts: Attempt[] = [];
  readonly samples: Sample[] = [];
  readonly faults: { at: number; fault: string; detail: string }[] = [];
  private readonly start = performance.now();

  now(): number {
    return performance.now() - this.start;
  }

  record(attempt: Attempt): void {
    this.attempts.push(attempt);
  }

  fault(fault: string, detail: string): void {
    this.faults.push({ at: this.now(), fault, detail });
  }
}
