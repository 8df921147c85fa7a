import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { QueueMetricRow } from '../../metrics/queue-metrics.js';
import { QUEUE_SECRET } from '../../redis/keys.js';
import { QueueBoard } from '../../sale/queue-board.js';
import type { QueueTick } from '../../sale/queue-scripts.js';
import type { KnownSale } from './registry.js';

/** How often each node ticks each waiting room (lua/queue-tick-6.lua's RIPE_MS assumes a few ticks within it). */
export const QUEUE_TICK_MS = 250;
/**
 * A liveness epoch: "polled lately" = within the last one to two of them (src/sale/queue-board.ts). The page polls
 * every 2-5 s; 30 s leaves room for a tab a browser slows down, and a place whose buyer left more than a minute
 * before their turn is skipped.
 */
const EPOCH_MS = 30_000;
/** How often a node checks that its queue key is still the one in Redis. */
const SECRET_CHECK_MS = 5000;
/** The admission rate shown and used for waits: measured over this long. */
const RATE_WINDOW_MS = 10_000;

interface Line {
  board: QueueBoard;
  last: QueueTick | null;
  /** (Redis ms, served, admitted) of the last RATE_WINDOW_MS, for the measured rates. */
  pace: Array<[number, number, number]>;
  rotatedAt: number;
}

export interface QueueKeeperParts {
  redis: Redis | Cluster;
  tick(saleId: string, base: number, bits: Buffer, since: number): Promise<QueueTick | null>;
  /** The line's serving position per second lately (src/sale/queue-scripts.ts queueHistory). */
  history(saleId: string): Promise<Array<{ at: number; served: number }>>;
  sales(): KnownSale[];
  /** The shared key, once read: every thread signs and checks with it. */
  onSecret(secret: Buffer): void;
  onError(err: unknown, sales: string[]): void;
}

/**
 * The main thread's side of the waiting rooms: reads (or makes, SET NX) the key every node signs queue tokens with,
 * and every QUEUE_TICK_MS runs one tick per sale with a waiting room — it sends the places this node saw polled
 * lately and mirrors what Redis answers (serving position, line, key, sold out) into the sale's QueueBoard, with
 * a checkpoint each time the position moved (a pass expires passSeconds after its buyer's turn).
 */
export class QueueKeeper {
  private readonly lines = new Map<string, Line>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private secret: Buffer | null = null;
  private secretReadAt = 0;

  constructor(private readonly parts: QueueKeeperParts) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), QUEUE_TICK_MS);
    this.timer.unref();
    void this.tick();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const failed: string[] = [];
    let firstError: unknown;
    try {
      if (this.secret === null || Date.now() - this.secretReadAt >= SECRET_CHECK_MS) await this.readSecret();
      const live = new Set<string>();
      for (const sale of this.parts.sales()) {
        if (sale.info.queue === null) continue;
        live.add(sale.info.id);
        try {
          await this.tickSale(sale.info.id, sale.info.queue);
        } catch (err) {
          if (failed.length === 0) firstError = err;
          failed.push(sale.info.id);
        }
      }
      for (const id of this.lines.keys()) if (!live.has(id)) this.lines.delete(id);
    } catch (err) {
      firstError = err;
      failed.push('(queue key)');
    } finally {
      this.running = false;
    }
    if (failed.length > 0) this.parts.onError(firstError, failed);
  }

  rows(): QueueMetricRow[] {
    return [...this.lines].flatMap(([sale, line]) => {
      const t = line.last;
      if (t === null) return [];
      const c = line.board.counters();
      return [{
        sale, on: t.on, line: t.pre + t.late, served: t.served, admitted: t.admitted, skipped: t.skipped,
        admittedPerSecond: rateOf(line.pace, 2), rate: t.rate, passesUsed: c.used, passesExpired: c.expired, waits: c.waits,
      }];
    });
  }

  /**
   * The key in Redis, made by the first node (SET NX). Checked again every SECRET_CHECK_MS: a Redis that lost it
   * (a restart without its data) gets this node's back, and a node that finds another adopts it, so every node
   * signs with the one key in Redis.
   */
  private async readSecret(): Promise<void> {
    const { redis } = this.parts;
    await redis.set(QUEUE_SECRET, (this.secret ?? randomBytes(32)).toString('hex'), 'NX');
    const hex = await redis.get(QUEUE_SECRET);
    if (hex === null || !/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${QUEUE_SECRET} is not 64 hex characters: delete it and a node makes a new one`);
    this.secretReadAt = Date.now();
    if (this.secret !== null && this.secret.toString('hex') === hex) return;
    this.secret = Buffer.from(hex, 'hex');
    this.parts.onSecret(this.secret);
  }

  private async tickSale(saleId: string, buffer: SharedArrayBuffer): Promise<void> {
    let line = this.lines.get(saleId);
    if (line === undefined || line.board.buffer !== buffer) {
      line = { board: new QueueBoard(buffer), last: null, pace: [], rotatedAt: Date.now() };
      this.lines.set(saleId, line);
    }
    const { board } = line;
    if (Date.now() - line.rotatedAt >= EPOCH_MS) {
      board.rotate();
      line.rotatedAt = Date.now();
    }
    const served = line.last?.served ?? 0;
    const base = served - (served % 8);
    const count = line.last === null ? 0 : served - base + line.last.window;
    // The first tick of a line this node did not watch: the admissions of the last passSeconds are dated from
    // Redis's history (else a place admitted an hour ago would get a fresh pass here); older ones have expired.
    let since = served;
    if (line.last === null) {
      const history = await this.parts.history(saleId);
      for (const h of history) board.checkpoint(h.served, h.at);
      since = history[0]?.served ?? 0;
    }
    const t = await this.parts.tick(saleId, base, board.liveBits(base, count), since);
    if (t === null) {
      board.publish({ on: false, opened: false, soldOut: false, served: 0, line: 0, pre: 0, key: '', passSeconds: 0, opensAt: 0, rate: 0 });
      return;
    }
    line.last = t;
    line.pace.push([t.now, t.served, t.admitted]);
    while (line.pace.length > 2 && line.pace[0][0] < t.now - RATE_WINDOW_MS) line.pace.shift();
    // Which places were admitted, and the checkpoint, before the position: a thread that sees a place served finds
    // whether it was admitted or skipped (QueueBoard.wasAdmitted) and when (QueueBoard.admittedAt).
    board.markAdmitted(t.admittedFrom, t.admittedBits, t.served);
    if (t.served > 0) board.checkpoint(t.served, t.now);
    const measured = rateOf(line.pace, 1);
    board.publish({
      on: t.on,
      opened: t.now >= t.opensAt,
      soldOut: t.remaining <= 0,
      served: t.served,
      line: t.pre + t.late,
      pre: t.pre,
      key: t.key,
      passSeconds: t.passSeconds,
      opensAt: t.opensAt,
      rate: measured > 0 ? measured : t.rate,
    });
  }
}

/** Per second over the history: column 1 = served (the line's pace), 2 = admitted. */
function rateOf(history: ReadonlyArray<[number, number, number]>, column: 1 | 2): number {
  if (history.length < 2) return 0;
  const first = history[0];
  const last = history[history.length - 1];
  const seconds = (last[0] - first[0]) / 1000;
  return seconds > 0 ? (last[column] - first[column]) / seconds : 0;
}
