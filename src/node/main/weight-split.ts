import type { NodeConfig } from '../../config/node-config.js';
import type { Logger } from '../../log/logger.js';
import type { Beat, Roster } from '../../redis/node-roster.js';
import { loopErrors } from './loop-errors.js';
import type { QuotaPolicy } from '../../sale/quota.js';

export interface WeightSplitOptions {
  id: string;
  /** The node's --weight: in effect until the first beat, and whenever the operator set none. */
  weight: number;
  /** The start value of the total (--total-weight); with `pinned` it never changes. */
  totalWeight: number;
  /** --total-weight was given: the operator fixed the split; the roster still lists the node and its weight. */
  pinned: boolean;
  quotaBuffer: number;
  /** host:port nginx reaches this node at. */
  address: string;
  /** Beat period; 0 = no roster at all (the start flags decide the split). */
  everyMs: number;
}

/**
 * The node's place in the weighted split of the stock (src/sale/quota.ts), kept current from the node roster
 * (src/redis/node-roster.ts): each beat says this node's weight in effect and the sum over the live nodes, so a
 * node joining or leaving during a sale, or an operator's new weight, moves every node's share within one beat.
 *
 * Why this is safe however stale it is: the split only sizes each node's local quota. Redis decides every unit,
 * and a node whose quota is used up sends its purchases to Redis anyway (src/sale/purchase-desk.ts) — a wrong
 * total costs doomed or extra Redis calls, never an oversold seat or a false "sold out" (that flag comes from
 * remaining == 0 alone). So a failed beat keeps the last split and the next beat retries.
 *
 * An entry lives 3 beats: a node that died is out of the total within ~3 s (default 1 s beats), and its share
 * returns to the others at their next reconcile.
 */
export class WeightSplit implements QuotaPolicy {
  weight: number;
  totalWeight: number;
  readonly quotaBuffer: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly options: WeightSplitOptions,
    private readonly send: (beat: Beat) => Promise<Roster>,
    private readonly onChange: (from: { weight: number; totalWeight: number }, to: Roster) => void,
    private readonly onError: (err: unknown) => void,
  ) {
    this.weight = options.weight;
    this.totalWeight = options.totalWeight;
    this.quotaBuffer = options.quotaBuffer;
  }

  /** A node's split from its flags, logging each change (then `onChange`: re-read every sale). */
  static forNode(config: NodeConfig, send: (beat: Beat) => Promise<Roster>, log: Logger, onChange: () => void): WeightSplit {
    return new WeightSplit(
      { id: config.id, weight: config.weight, totalWeight: config.totalWeight, pinned: config.totalWeightPinned, quotaBuffer: config.quotaBuffer, address: config.advertise, everyMs: config.rosterMs },
      send,
      (from, to) => {
        log.info({ weight: to.weight, totalWeight: to.totalWeight, was: from, nodes: to.members.map((m) => m.id) }, 'weighted split changed: nodes joined, left or were re-weighted');
        onChange();
      },
      loopErrors(log)('node roster beat'),
    );
  }

  get ttlMs(): number {
    return Math.min(600_000, Math.max(100, 3 * this.options.everyMs));
  }

  start(): void {
    if (this.options.everyMs <= 0 || this.timer !== undefined) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.everyMs);
    this.timer.unref();
  }

  /** One beat now (also the first one, awaited by the start so the first quota uses the roster). */
  tick(): Promise<void> {
    if (this.options.everyMs <= 0) return Promise.resolve();
    // One beat on the wire at a time: a slow Redis does not pile them up.
    this.running ??= this.send({ id: this.options.id, weight: this.options.weight, ttlMs: this.ttlMs, address: this.options.address })
      .then((roster) => this.apply(roster), this.onError)
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops beating and takes the node out of the roster, so the others' shares grow at their next beat. */
  async leave(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.options.everyMs <= 0) return;
    await this.running;
    await this.send({ id: this.options.id, weight: this.options.weight, ttlMs: 0, address: this.options.address }).catch(this.onError);
  }

  private apply(roster: Roster): void {
    // The node's own entry may not be in the roster read (a beat that raced an operator's HDEL): never below it.
    const total = this.options.pinned ? this.totalWeight : Math.max(roster.totalWeight, roster.weight);
    if (roster.weight === this.weight && total === this.totalWeight) return;
    const from = { weight: this.weight, totalWeight: this.totalWeight };
    this.weight = roster.weight;
    this.totalWeight = Math.max(total, roster.weight);
    this.onChange(from, roster);
  }
}
