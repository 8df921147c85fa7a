import type { Cluster, Redis } from 'ioredis';
import type { RestorableOrder } from '../store/order-rows.js';
import { EngineError, ScriptCode } from '../redis/codes.js';
import { SALES_SET, buyerKeyClaim, saleKeys } from '../redis/keys.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { IDEMPOTENCY_KEY_WINDOW_SECONDS } from './key-claims.js';
import { reservePlace } from './places.js';

/** A sale's row as PostgreSQL keeps it (src/store/order-store.ts storedSale): times in ms, 0 = none. */
export interface RestoreSource {
  storedSale(saleId: string): Promise<{
    total: number; perUserLimit: number; holdSeconds: number; anonymous: boolean; opensAt: number; closesAt: number; idKey: string | null;
  } | null>;
  restorableOrders(saleId: string, afterId: string, limit: number): Promise<RestoredOrder[]>;
  /** Whether the sale has train seats (order_seats): a train sale is not rebuilt from PostgreSQL (yet). */
  hasSeats(saleId: string): Promise<boolean>;
}

/** One order as PostgreSQL gives it back for a restore (the store's reading, src/store/order-rows.ts). */
export type RestoredOrder = RestorableOrder;

export interface RestoreReport {
  sale: string;
  total: number;
  held: number;
  paid: number;
  cancelled: number;
  expired: number;
  /** Idempotency records rebuilt (final orders' records whose window had passed are not). */
  records: number;
  checkedIn: number;
  /** Keys of the sale that were in Redis without its meta (a restore cut off before its end) and were replaced. */
  replaced: string[];
}

const PAGE = 5000;
/** Orders per synthetic stream entry (a batch's entry of reserve-batch carries at most 512). */
const ENTRY_ORDERS = 500;

/**
 * Rebuilds a sale Redis lost entirely from PostgreSQL, the system of record (`ticket-spike sale restore`): its
 * counters, its live holds with their deadlines (so they expire or are paid as before), its holders (a paid or
 * held order counts toward the buyer's limit), the idempotency records of the keys PostgreSQL has (migration 4) —
 * a buyer's retry replays the same order instead of buying again — its check-ins and its holder log. Paid,
 * cancelled and expired orders come back retired (final, answered from PostgreSQL), as retention leaves them.
 *
 * So that held + paid never exceeds total and no sold seat sells again: held = the reserved orders, paid = the
 * paid ones, and the meta — without which the sale does not exist for any node — is written last, by a script
 * that refuses when a meta is there (lua/restore-sale-1.lua). What Redis had and PostgreSQL had not yet (orders
 * made or paid since the worker's last commit) is lost with Redis: that is the window replicas close (issue 19).
 */
export async function restoreSale(
  redis: Redis | Cluster,
  scripts: ScriptCommands,
  source: RestoreSource,
  saleId: string,
  capacity: number,
  nowMs: number = Date.now(),
): Promise<RestoreReport> {
  const k = saleKeys(saleId);
  if ((await redis.exists(k.meta)) === 1) throw new EngineError('ERR_SALE_EXISTS', `sale ${saleId} is in Redis: there is nothing to restore`);
  const sale = await source.storedSale(saleId);
  if (sale === null) throw new EngineError('ERR_UNKNOWN_SALE', `sale ${saleId}: PostgreSQL has no such sale; check the id (ticket-spike orders status lists them)`);
  if (await source.hasSeats(saleId)) {
    throw new EngineError('ERR_INVALID_SALE', `sale ${saleId} is a train sale: its seat book is not rebuilt from PostgreSQL yet (order_seats keeps every seat sold); not restored`);
  }

  const orders: RestoredOrder[] = [];
  for (let after = ''; ; ) {
    const page = await source.restorableOrders(saleId, after, PAGE);
    orders.push(...page);
    if (page.length < PAGE) break;
    after = page[page.length - 1].orderId;
  }
  const count = { held: 0, paid: 0, cancelled: 0, expired: 0 };
  for (const o of orders) count[o.status]++;
  if (count.held + count.paid > sale.total) {
    throw new EngineError('ERR_INVALID_SALE', `sale ${saleId}: PostgreSQL holds ${count.held} held + ${count.paid} paid orders, more than its ${sale.total} tickets: not restored`);
  }

  // Leftovers of a restore cut off before its meta: nothing serves them, they are rebuilt whole.
  const leftovers = [k.orders, k.holders, k.idem, k.idemDue, k.deadlines, k.stream, k.checkins, k.mayHold];
  const exists = await Promise.all(leftovers.map((key) => redis.exists(key)));
  const replaced = leftovers.filter((_, i) => exists[i] === 1);
  if (replaced.length > 0) await Promise.all(replaced.map((key) => redis.del(key)));

  const windowMs = IDEMPOTENCY_KEY_WINDOW_SECONDS * 1000;
  const holders = new Map<string, { n: number; latest: string; at: number }>();
  const orderArgs: string[] = [];
  const idemArgs: string[] = [];
  const idemDue: (string | number)[] = [];
  const claims: Array<{ key: string; ttlS: number }> = [];
  const mayHold: string[] = [];
  const checkins: string[] = [];
  const heldByDeadline = new Map<number, RestoredOrder[]>();
  for (const o of orders) {
    const key = o.idempotencyKey ?? '';
    const field = `${o.user} ${key}`;
    if (o.user !== '') mayHold.push(o.user);
    if (key !== '') mayHold.push(field);
    if (o.checkedIn !== undefined) checkins.push(o.orderId, `${o.checkedIn.at}|${o.checkedIn.gate}`);
    if (o.status === 'held' || o.status === 'paid') {
      const h = holders.get(o.user) ?? { n: 0, latest: o.orderId, at: -1 };
      h.n++;
      if (o.reservedAt >= h.at) Object.assign(h, { latest: o.orderId, at: o.reservedAt });
      if (o.user !== '') holders.set(o.user, h);
    }
    if (o.status === 'held') {
      // The encoding of lua/includes/order.lua: status|expiresAt|createdAt|paidAt|userBytes|<user><key>.
      orderArgs.push(o.orderId, `held|${o.expiresAt}|${o.reservedAt}|0|${Buffer.byteLength(o.user)}|${o.user}${key}`);
      const group = heldByDeadline.get(o.expiresAt) ?? [];
      group.push(o);
      heldByDeadline.set(o.expiresAt, group);
      if (key !== '') idemArgs.push(field, `${o.orderId}|${o.user}`);
    } else if (key !== '' && o.reservedAt + windowMs > nowMs) {
      // A final order's record, marked with its state as retire-orders leaves it, kept for the rest of its window.
      idemArgs.push(field, `${o.orderId}|${o.user}|${o.status.slice(0, 1)}`);
      idemDue.push(o.reservedAt + windowMs, field);
    }
    if (key !== '' && o.reservedAt + windowMs > nowMs) claims.push({ key: buyerKeyClaim(o.user, key), ttlS: Math.ceil((o.reservedAt + windowMs - nowMs) / 1000) });
  }

  const chunked = async (args: (string | number)[], width: number, write: (part: (string | number)[]) => Promise<unknown>) => {
    for (let i = 0; i < args.length; i += width * 1000) await write(args.slice(i, i + width * 1000));
  };
  await chunked(orderArgs, 2, (part) => redis.hset(k.orders, ...part));
  const holderArgs = [...holders].flatMap(([user, h]) => [user, `${h.n}|${h.latest}`]);
  await chunked(holderArgs, 2, (part) => redis.hset(k.holders, ...part));
  await chunked(idemArgs, 2, (part) => redis.hset(k.idem, ...part));
  await chunked(idemDue, 2, (part) => redis.zadd(k.idemDue, ...part));
  await chunked(checkins, 2, (part) => redis.hset(k.checkins, ...part));
  await chunked(mayHold, 1, (part) => redis.rpush(k.mayHold, ...part));
  // Live holds as reserve-batch leaves them: one stream entry per group, its deadline naming the entry, so the
  // sweep releases each hold once when it is due (includes/deadlines.lua).
  let entry = 0;
  for (const [expiresAt, group] of heldByDeadline) {
    for (let i = 0; i < group.length; i += ENTRY_ORDERS) {
      const fields = ['b', `restore-${entry++}`, ...group.slice(i, i + ENTRY_ORDERS).flatMap((o) => [o.orderId, o.user])];
      const streamId = await redis.xadd(k.stream, '*', ...fields);
      await redis.zadd(k.deadlines, expiresAt, streamId as string);
    }
  }
  for (const c of claims) await redis.set(c.key, saleId, 'EX', c.ttlS);

  const meta: (string | number)[] = [
    'total', sale.total, 'perUserLimit', sale.perUserLimit, 'holdSeconds', sale.holdSeconds,
    'opensAt', sale.opensAt, 'closesAt', sale.closesAt, 'anonymous', sale.anonymous ? '1' : '0',
    'held', count.held, 'paid', count.paid, 'createdAt', nowMs, 'ordersMade', orders.length,
    'retiredPaid', count.paid, 'retiredCancelled', count.cancelled, 'retiredExpired', count.expired,
    'checkedIn', checkins.length / 2, 'holderLog', '1', 'restoredAt', nowMs,
    ...(sale.idKey !== null ? ['idKey', sale.idKey] : []),
  ];
  await reservePlace(scripts, saleId, sale.closesAt === 0 ? null : sale.closesAt, capacity);
  const written = await scripts.restoreSale(k.meta, ...meta);
  if (written === ScriptCode.Exists) throw new EngineError('ERR_SALE_EXISTS', `sale ${saleId} was created in Redis while it was being restored: check it before anything else`);
  if (written !== ScriptCode.Ok) throw new EngineError('ERR_UNEXPECTED_REPLY', `restore of sale ${saleId}: ${JSON.stringify(written)}`);
  await redis.sadd(SALES_SET, saleId);
  return { sale: saleId, total: sale.total, ...count, records: idemArgs.length / 2, checkedIn: checkins.length / 2, replaced };
}
