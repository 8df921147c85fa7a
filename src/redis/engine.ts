import type { Cluster, Redis } from 'ioredis';
import { EngineError, LIMITS, Outcome, ScriptCode, errorFromCode } from './codes.js';
import { SALES_SET, assertSaleId, batchKey, saleKeys } from './keys.js';
import { scriptsOf, type ScriptCommands } from './scripts.js';
import { saleIdOfOrder } from '../ids.js';

export { Outcome, EngineError, LIMITS } from './codes.js';

/** A sale as the admin creates it. Times are ms since the epoch. */
export interface SaleConfig {
  id: string;
  total: number;
  perUserLimit: number;
  holdSeconds: number;
  anonymous: boolean;
  /** ms; default 0 = open at once. */
  opensAt?: number;
  /** ms; default 0 = never closes; else > opensAt. */
  closesAt?: number;
}

export interface PurchaseRequest {
  /** Made by the caller with newOrderId(saleId): "<saleId>.<unique>". */
  orderId: string;
  /** '' = anonymous (only if the sale allows it). */
  user: string;
  idempotencyKey?: string;
}

export interface PurchaseResult {
  outcome: Outcome;
  /** Success only. On a replay this is the STORED order's id, which may differ from the requested one. */
  orderId?: string;
  /** Success only: hold deadline, ms (Redis clock). */
  expiresAt?: number;
  /** Success only: true when an earlier order was returned instead of a new one. */
  replayed?: boolean;
}

export interface BatchReply {
  /** total - held - paid after the batch. */
  remaining: number;
  results: PurchaseResult[];
}

export type OrderStatus = 'held' | 'paid' | 'cancelled' | 'expired';

export interface OrderView {
  id: string;
  sale: string;
  user: string;
  status: OrderStatus;
  expiresAt: number;
  createdAt?: number;
  paidAt?: number;
  idempotencyKey?: string;
}

export interface SaleStatus {
  id: string;
  total: number;
  held: number;
  paid: number;
  remaining: number;
  /** Open by its time window (Redis clock); a sold-out sale is still "open". */
  open: boolean;
  perUserLimit: number;
  holdSeconds: number;
  anonymous: boolean;
  opensAt: number;
  closesAt: number;
  createdAt: number;
}

export interface AuditReport {
  ok: boolean;
  sale: string;
  total: number;
  /** Counters in meta. */
  held: number;
  paid: number;
  remaining: number;
  /** Counted from the orders themselves. */
  countedHeld: number;
  countedPaid: number;
  cancelled: number;
  expired: number;
  orders: number;
  streamEntries: number;
  streamOrders: number;
  holders: number;
  problemCount: number;
  problems: string[];
}

export interface ExpireReply {
  expired: number;
  remaining: number;
  /** More holds are already due: call again. */
  more: boolean;
}

/** How long a decided batch is kept for replays (ioredis re-sends after a reconnect within seconds). */
export const BATCH_RECORD_TTL_SECONDS = 600;
export const DEFAULT_EXPIRE_LIMIT = 200;

const MAX_TOTAL = 100_000_000;
const MAX_PER_USER = 1_000_000;
const MAX_HOLD_SECONDS = 604_800;
const MAX_TIME_MS = 9_999_999_999_999;
const BATCH_ID_RE = /^[A-Za-z0-9_-]{1,160}$/;

function invalidSale(field: string, rule: string, value: unknown): EngineError {
  return new EngineError('ERR_INVALID_SALE', `sale ${field} ${JSON.stringify(value)} is invalid: ${rule}`, field);
}

function intIn(config: SaleConfig, field: keyof SaleConfig, lo: number, hi: number): number {
  const v = config[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < lo || v > hi) {
    throw invalidSale(field, `use an integer from ${lo} to ${hi}`, v);
  }
  return v;
}

/** Checks one purchase the way reserve-batch does; throws ERR_INVALID_ARGUMENT naming the field. */
export function validatePurchase(saleId: string, p: PurchaseRequest, index = 0): void {
  const where = `purchases[${index}]`;
  if (p === null || typeof p !== 'object') {
    throw new EngineError('ERR_INVALID_ARGUMENT', `${where} must be an object {orderId, user}`, where);
  }
  if (saleIdOfOrder(p.orderId) !== saleId) {
    throw new EngineError(
      'ERR_INVALID_ARGUMENT',
      `${where}.orderId ${JSON.stringify(p.orderId)} is invalid: make it with newOrderId(${JSON.stringify(saleId)})`,
      `${where}.orderId`,
    );
  }
  if (typeof p.user !== 'string' || Buffer.byteLength(p.user) > LIMITS.maxUserLength) {
    throw new EngineError(
      'ERR_INVALID_ARGUMENT',
      `${where}.user must be a string of at most ${LIMITS.maxUserLength} bytes ('' = anonymous)`,
      `${where}.user`,
    );
  }
  const k = p.idempotencyKey;
  if (k !== undefined && (typeof k !== 'string' || Buffer.byteLength(k) > LIMITS.maxIdempotencyKeyLength)) {
    throw new EngineError(
      'ERR_INVALID_ARGUMENT',
      `${where}.idempotencyKey must be a string of at most ${LIMITS.maxIdempotencyKeyLength} bytes`,
      `${where}.idempotencyKey`,
    );
  }
}

/** Reads the order format of lua/includes/order.lua. `nowMs` (Redis clock) turns an overdue hold into 'expired'. */
export function decodeOrder(id: string, encoded: string, nowMs?: number): OrderView {
  const p: number[] = [];
  let from = 0;
  for (let i = 0; i < 5; i++) {
    const at = encoded.indexOf('|', from);
    if (at < 0) throw new EngineError('ERR_UNEXPECTED_REPLY', `order ${id}: cannot decode ${JSON.stringify(encoded)}`);
    p.push(at);
    from = at + 1;
  }
  const [p1, p2, p3, p4, p5] = p as [number, number, number, number, number];
  const status = encoded.slice(0, p1) as OrderStatus;
  const expiresAt = Number(encoded.slice(p1 + 1, p2));
  const createdAt = Number(encoded.slice(p2 + 1, p3));
  const paidAt = Number(encoded.slice(p3 + 1, p4));
  const userBytes = Number(encoded.slice(p4 + 1, p5));
  // The length is in bytes: slice the rest as a Buffer so multi-byte users decode right.
  const rest = Buffer.from(encoded.slice(p5 + 1));
  const user = rest.subarray(0, userBytes).toString();
  const idem = rest.subarray(userBytes).toString();
  const view: OrderView = {
    id,
    sale: saleIdOfOrder(id) ?? '',
    user,
    status: status === 'held' && nowMs !== undefined && nowMs >= expiresAt ? 'expired' : status,
    expiresAt,
    createdAt,
  };
  if (paidAt > 0) view.paidAt = paidAt;
  if (idem !== '') view.idempotencyKey = idem;
  return view;
}

function isErrorTuple(reply: unknown): reply is [number, string] {
  return Array.isArray(reply) && typeof reply[0] === 'number' && reply[0] < 0 && reply.length === 2;
}

function unexpected(subject: string, reply: unknown): EngineError {
  return new EngineError('ERR_UNEXPECTED_REPLY', `${subject}: unexpected reply ${JSON.stringify(reply)}`);
}

/** Typed wrappers over the lua/ scripts. One instance per client; cheap. */
export class SaleEngine {
  private readonly scripts: ScriptCommands;

  constructor(readonly redis: Redis | Cluster) {
    this.scripts = scriptsOf(redis);
  }

  async createSale(config: SaleConfig): Promise<'created' | 'exists'> {
    if (config === null || typeof config !== 'object') throw invalidSale('config', 'pass an object', config);
    if (typeof config.id !== 'string' || !/^[A-Za-z0-9_-]{1,48}$/.test(config.id)) {
      throw invalidSale('id', 'use 1-48 characters of [A-Za-z0-9_-]', config.id);
    }
    const total = intIn(config, 'total', 1, MAX_TOTAL);
    const limit = intIn(config, 'perUserLimit', 1, MAX_PER_USER);
    const hold = intIn(config, 'holdSeconds', 1, MAX_HOLD_SECONDS);
    const opensAt = config.opensAt === undefined ? 0 : intIn(config, 'opensAt', 0, MAX_TIME_MS);
    const closesAt = config.closesAt === undefined ? 0 : intIn(config, 'closesAt', 0, MAX_TIME_MS);
    if (closesAt !== 0 && closesAt <= opensAt) throw invalidSale('closesAt', 'must be after opensAt (or 0 = never)', closesAt);
    if (typeof config.anonymous !== 'boolean') throw invalidSale('anonymous', 'use true or false', config.anonymous);

    const k = saleKeys(config.id);
    const reply = await this.scripts.createSale(k.meta, total, limit, hold, opensAt, closesAt, config.anonymous ? 1 : 0);
    if (reply !== ScriptCode.Ok && reply !== ScriptCode.Exists) {
      if (isErrorTuple(reply)) throw errorFromCode(reply[0], reply[1], `sale ${config.id}`);
      throw unexpected(`sale ${config.id}`, reply);
    }
    // ts:sales is in another slot: added after the script, not atomically. Re-adding on 'exists' repairs a
    // crash between the two steps.
    await this.redis.sadd(SALES_SET, config.id);
    return reply === ScriptCode.Ok ? 'created' : 'exists';
  }

  /**
   * Decides a batch for one sale in one script call. Throws EngineError on bad arguments (nothing written).
   * An unknown sale gives every purchase Outcome.UnknownSale. A Redis error or timeout rejects with that
   * error: the outcome is then UNKNOWN (the script may have run) — re-send the same batch id or the same
   * order ids / idempotency keys to learn it; a replay never takes a second unit.
   */
  async reserveBatch(saleId: string, batchId: string, purchases: PurchaseRequest[]): Promise<BatchReply> {
    const k = saleKeys(saleId);
    if (typeof batchId !== 'string' || !BATCH_ID_RE.test(batchId)) {
      throw new EngineError('ERR_INVALID_ARGUMENT', `batch id ${JSON.stringify(batchId)} is invalid: make it with newBatchId()`, 'batchId');
    }
    if (!Array.isArray(purchases) || purchases.length === 0) {
      throw new EngineError('ERR_INVALID_ARGUMENT', 'purchases must be a non-empty array', 'purchases');
    }
    if (purchases.length > LIMITS.maxBatch) {
      throw new EngineError(
        'ERR_BATCH_TOO_LARGE',
        `a batch holds at most ${LIMITS.maxBatch} purchases, got ${purchases.length}; split it`,
        String(LIMITS.maxBatch),
      );
    }
    const args: (string | number)[] = [
      k.meta, k.holders, k.orders, k.idem, k.deadlines, k.stream, batchKey(saleId, batchId),
      saleId, batchId, BATCH_RECORD_TTL_SECONDS, purchases.length,
    ];
    for (let i = 0; i < purchases.length; i++) {
      const p = purchases[i]!;
      validatePurchase(saleId, p, i);
      args.push(p.orderId, p.user, p.idempotencyKey ?? '');
    }
    const reply = await this.scripts.reserveBatch(...args);
    if (typeof reply === 'string') return parseBatchReply(reply, purchases);
    if (isErrorTuple(reply)) {
      if (reply[0] === ScriptCode.UnknownSale) {
        return { remaining: 0, results: purchases.map(() => ({ outcome: Outcome.UnknownSale })) };
      }
      throw errorFromCode(reply[0], reply[1], `reserve on sale ${saleId}`);
    }
    throw unexpected(`reserve on sale ${saleId}`, reply);
  }

  /** Pays a live hold; paying a paid order returns it. Throws ORDER_NOT_FOUND, HOLD_EXPIRED, ORDER_CANCELLED. */
  pay(orderId: string): Promise<OrderView> {
    return this.transition('pay', orderId);
  }

  /** Cancels a hold (its unit returns once); cancelling again returns it. Throws ORDER_NOT_FOUND, ORDER_PAID, HOLD_EXPIRED. */
  cancel(orderId: string): Promise<OrderView> {
    return this.transition('cancel', orderId);
  }

  private async transition(which: 'pay' | 'cancel', orderId: string): Promise<OrderView> {
    const sale = this.saleOf(orderId);
    const k = saleKeys(sale);
    const reply = await this.scripts[which](k.meta, k.holders, k.orders, orderId);
    if (!Array.isArray(reply)) throw unexpected(`${which} order ${orderId}`, reply);
    const [code, enc] = reply as [number, string];
    if (code === ScriptCode.Ok) return decodeOrder(orderId, enc);
    throw errorFromCode(code, String(enc ?? ''), `order ${orderId}`);
  }

  /** The order, or null. A held order whose deadline passed (not yet swept) reads as 'expired'. */
  async getOrder(orderId: string): Promise<OrderView | null> {
    const sale = this.saleOf(orderId);
    const reply = await this.scripts.getOrder(saleKeys(sale).orders, orderId);
    if (reply === null) return null;
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') throw unexpected(`order ${orderId}`, reply);
    return decodeOrder(orderId, reply[0], Number(reply[1]));
  }

  /**
   * Releases at most `limit` (1..1000) due holds of a sale, looking at no more than 4 x `limit` orders
   * (deadlines are kept per batch: orders of a due batch already paid or cancelled are looked at and
   * skipped, so a call may release fewer than `limit` while `more` is true). Safe to run from several nodes
   * at once.
   */
  async expireDue(saleId: string, limit = DEFAULT_EXPIRE_LIMIT): Promise<ExpireReply> {
    const k = saleKeys(saleId);
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.maxExpirePerCall) {
      throw new EngineError('ERR_INVALID_ARGUMENT', `expire limit ${limit} is invalid: use 1..${LIMITS.maxExpirePerCall}`, 'limit');
    }
    const reply = await this.scripts.expireHolds(k.meta, k.holders, k.orders, k.deadlines, k.stream, limit);
    if (isErrorTuple(reply)) throw errorFromCode(reply[0], saleId, `sale ${saleId}`);
    if (!Array.isArray(reply) || reply.length !== 3) throw unexpected(`expire on sale ${saleId}`, reply);
    const [expired, remaining, more] = reply as [number, number, number];
    return { expired, remaining, more: more === 1 };
  }

  async status(saleId: string): Promise<SaleStatus | null> {
    const reply = await this.scripts.saleStatus(saleKeys(saleId).meta);
    if (reply === null) return null;
    if (!Array.isArray(reply) || reply.length !== 10) throw unexpected(`status of sale ${saleId}`, reply);
    const [total, perUserLimit, holdSeconds, opensAt, closesAt, anonymous, held, paid, createdAt, now] = reply.map(Number) as number[] as [
      number, number, number, number, number, number, number, number, number, number,
    ];
    return {
      id: saleId,
      total,
      held,
      paid,
      remaining: total - held - paid,
      open: now >= opensAt && (closesAt === 0 || now < closesAt),
      perUserLimit,
      holdSeconds,
      anonymous: anonymous === 1,
      opensAt,
      closesAt,
      createdAt,
    };
  }

  async listSales(): Promise<string[]> {
    return (await this.redis.smembers(SALES_SET)).sort();
  }

  /**
   * Atomic, read-only, O(orders): blocks Redis ~10-16 µs per order (0.1-0.2 s for a 10,000-ticket sale);
   * see lua/audit-6.lua. Throws ERR_UNKNOWN_SALE.
   */
  async audit(saleId: string, maxProblems = 100): Promise<AuditReport> {
    const k = saleKeys(saleId);
    const reply = await this.scripts.audit(k.meta, k.holders, k.orders, k.idem, k.deadlines, k.stream, maxProblems);
    if (isErrorTuple(reply)) throw errorFromCode(reply[0], saleId, `sale ${saleId}`);
    if (typeof reply !== 'string') throw unexpected(`audit of sale ${saleId}`, reply);
    const r = JSON.parse(reply) as Omit<AuditReport, 'ok' | 'sale' | 'remaining'> & { problems: unknown };
    const problems = Array.isArray(r.problems) ? (r.problems as string[]) : []; // cjson encodes {} for []
    return {
      ...r,
      ok: r.problemCount === 0,
      sale: saleId,
      remaining: r.total - r.held - r.paid,
      problems,
    };
  }

  private saleOf(orderId: string): string {
    const sale = saleIdOfOrder(orderId);
    if (sale === null) {
      throw new EngineError('ERR_INVALID_ARGUMENT', `order id ${JSON.stringify(orderId)} is invalid: expected "<saleId>.<unique>"`, 'orderId');
    }
    assertSaleId(sale);
    return sale;
  }
}

/** Reads reserve-batch's reply (lua/reserve-batch-7.lua: [remaining, expiresAt, r1..rn]). */
function parseBatchReply(json: string, purchases: PurchaseRequest[]): BatchReply {
  const parsed = JSON.parse(json) as unknown[];
  const n = purchases.length;
  if (!Array.isArray(parsed) || parsed.length !== n + 2 || typeof parsed[0] !== 'number' || typeof parsed[1] !== 'number') {
    throw new EngineError('ERR_UNEXPECTED_REPLY', `reserve-batch replied ${JSON.stringify(json).slice(0, 200)} for ${n} purchases`);
  }
  const expiresAt = parsed[1];
  const results: PurchaseResult[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = parsed[i + 2];
    if (r === Outcome.Success) {
      results[i] = { outcome: Outcome.Success, orderId: purchases[i]!.orderId, expiresAt, replayed: false };
    } else if (typeof r === 'number') {
      results[i] = { outcome: r as Outcome };
    } else if (Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'number') {
      results[i] = { outcome: Outcome.Success, orderId: r[0], expiresAt: r[1], replayed: true };
    } else {
      throw new EngineError('ERR_UNEXPECTED_REPLY', `reserve-batch replied ${JSON.stringify(r)} for purchase ${i}`);
    }
  }
  return { remaining: parsed[0], results };
}
