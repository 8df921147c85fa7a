import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { buy, pay } from './buyer-client.js';
import type { Attempt, Journal, Seen } from './journal.js';
import type { Rng } from './rng.js';

/** One thing a buyer wants: a purchase under one Idempotency-Key, retried until a business answer. */
export interface Want {
  user: string;
  key: string;
  orderId?: string;
  final?: Seen;
}

export interface CrowdOptions {
  baseUrl: string;
  sale: string;
  perUserLimit: number;
  /** New purchases per second (the rest of the traffic is repeat clicks): demand paced to outrun stock. */
  newPerSecond: number;
  workers: number;
  /** Buyers that leave their keep-alive connection idle 11-15 s between purchases. */
  idleBuyers: number;
  timeoutMs: number;
}

const BUSINESS: ReadonlySet<Seen> = new Set(['ok', 'soldout', 'limit', 'notopen', 'rejected']);

/**
 * The buyers: new purchases at a paced rate, repeat clicks on purchases already made (the same key again),
 * double clicks (two requests at once with one key), and retries with the same key after anything that is
 * not a business answer. While `abortChance` > 0 some requests are abandoned mid-flight.
 */
export class Crowd {
  readonly wants: Want[] = [];
  readonly bought: Want[] = [];
  abortChance = 0;
  /** Orders the payment call confirmed paid, and payments refused (never expected: the order is theirs). */
  readonly paid = new Set<string>();
  readonly payRefusals: string[] = [];
  private readonly payments: Promise<void>[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private users = 0;
  private started = 0;
  /** Every buyer name of this crowd starts with it (the drop proxy matches purchase batches by it). */
  readonly userPrefix: string;

  constructor(
    private readonly options: CrowdOptions,
    private readonly journal: Journal,
    private readonly rng: Rng,
  ) {
    this.userPrefix = `s${rng.seed.toString(36)}u`;
  }

  /** Paced load until `untilMs` (journal time). */
  async load(untilMs: number): Promise<void> {
    const beginAt = this.journal.now();
    const workers = Array.from({ length: this.options.workers }, (_, i) => this.worker(this.rng.fork(i), beginAt, untilMs));
    const idle = Array.from({ length: this.options.idleBuyers }, (_, i) => this.idleBuyer(this.rng.fork(1000 + i), untilMs));
    await Promise.all([...workers, ...idle]);
  }

  private async worker(rng: Rng, beginAt: number, untilMs: number): Promise<void> {
    while (this.journal.now() < untilMs) {
      const due = ((this.journal.now() - beginAt) / 1000) * this.options.newPerSecond;
      if (this.started < due && rng.chance(0.8)) {
        this.started++;
        await this.pursue(this.newWant(rng), rng);
      } else if (this.bought.length > 0 && rng.chance(0.5)) {
        const want = rng.pick(this.bought);
        if (rng.chance(0.15)) await Promise.all([this.once(want, rng), this.once(want, rng)]);
        else await this.once(want, rng);
      }
      await sleep(rng.int(1, 20));
    }
  }

  /** Purchases on one keep-alive connection with 11-15 s of silence in between (nginx keeps it 30 s). */
  private async idleBuyer(rng: Rng, untilMs: number): Promise<void> {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let afterIdle = false;
    try {
      while (this.journal.now() < untilMs) {
        const want = this.newWant(rng);
        const first = await buy(agent, this.options.baseUrl, this.options.sale, want.user, want.key, this.journal, {
          timeoutMs: this.options.timeoutMs,
          afterIdle,
        });
        if (!this.absorb(want, [first])) await this.pursue(want, rng);
        const idleMs = rng.int(11_000, 15_000);
        if (this.journal.now() + idleMs >= untilMs) break;
        await sleep(idleMs);
        afterIdle = true;
      }
    } finally {
      agent.destroy();
    }
  }

  newWant(rng: Rng): Want {
    // A third of new purchases are a returning buyer's next one (up to the limit and one past it).
    const returning = this.wants.length > 0 && rng.chance(0.33) ? rng.pick(this.wants) : undefined;
    const user = returning?.user ?? `${this.userPrefix}${this.users++}`;
    const key = `${user}-k${this.wants.filter((w) => w.user === user).length}`;
    const want: Want = { user, key };
    this.wants.push(want);
    return want;
  }

  /** One request for a want (a repeat click when it was already bought). */
  once(want: Want, rng: Rng): Promise<Attempt> {
    const abortAfterMs = this.abortChance > 0 && rng.chance(this.abortChance) ? rng.int(0, 15) : undefined;
    return buy(this.agent, this.options.baseUrl, this.options.sale, want.user, want.key, this.journal, {
      timeoutMs: this.options.timeoutMs,
      abortAfterMs,
    });
  }

  /** Retries one key until a business answer (or gives up after `tries`, leaving the outcome unknown). */
  async pursue(want: Want, rng: Rng, tries = 8): Promise<void> {
    for (let i = 0; i < tries; i++) {
      const double = i === 0 && rng.chance(0.1);
      const answers = double ? await Promise.all([this.once(want, rng), this.once(want, rng)]) : [await this.once(want, rng)];
      if (this.absorb(want, answers)) return;
      await sleep(rng.int(50, 150) * (i + 1));
    }
    want.final = 'unknown';
  }

  /** Takes the first business answer among `answers` as the want's outcome; false when there is none. */
  private absorb(want: Want, answers: Attempt[]): boolean {
    const business = answers.find((a) => BUSINESS.has(a.seen));
    if (business === undefined) return false;
    want.final = business.seen;
    if (business.seen === 'ok' && want.orderId === undefined) {
      want.orderId = business.orderId;
      this.bought.push(want);
      // A quarter of buyers pay at once: paid orders must survive every fault as paid.
      if (business.orderId !== undefined && this.rng.fork(this.bought.length).chance(0.25)) this.payments.push(this.payFor(business.orderId));
    }
    return true;
  }

  private async payFor(orderId: string): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const outcome = await pay(this.agent, this.options.baseUrl, orderId, this.options.timeoutMs);
      if (outcome === 'paid') {
        this.paid.add(orderId);
        return;
      }
      if (outcome !== 'unknown') {
        this.payRefusals.push(`paying ${orderId}: ${outcome}`);
        return;
      }
      await sleep(100 * (i + 1));
    }
  }

  /** After the faults: resolve every unknown outcome, click every bought key once more, and buy with new
   *  buyers until Redis says nothing is left (or `maxNew` new purchases). */
  async settle(remaining: () => Promise<number>, maxNew: number): Promise<void> {
    const rng = this.rng.fork(99_999);
    await Promise.all(this.payments);
    for (const want of this.wants.filter((w) => w.final === undefined || w.final === 'unknown')) await this.pursue(want, rng, 20);
    const all = [...this.bought];
    for (let i = 0; i < all.length; i += 16) await Promise.all(all.slice(i, i + 16).map((w) => this.once(w, rng)));
    for (let n = 0; n < maxNew && (await remaining()) > 0; n += 8) {
      await Promise.all(Array.from({ length: 8 }, () => this.pursue(this.newWant(rng), rng, 20)));
    }
    // A last few buyers after the end: they must be told "sold out", and that must be true.
    await Promise.all(Array.from({ length: 8 }, () => this.pursue(this.newWant(rng), rng, 20)));
  }

  close(): void {
    this.agent.destroy();
  }
}
