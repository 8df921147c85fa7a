import type { Cluster, Redis } from 'ioredis';
import { saleKeys } from './keys.js';

/**
 * The order workers' side of a sale's stream ({sale:S}:stream): one consumer group, `orders`, per sale.
 * Every entry names orders as (orderId, user) pairs after one leading pair: ("b", batchId) for a reserve
 * batch, ("ev", paid|cancelled|expired|checkedin) for a lifecycle change (lua/includes/events.lua).
 * A worker syncs the CURRENT state of every order an entry names, so the entry's kind only says why.
 */
export const ORDER_GROUP = 'orders';

export type EntryKind = 'reserved' | 'paid' | 'cancelled' | 'expired' | 'checkedin' | 'deleted';

export interface StreamEntry {
  id: string;
  kind: EntryKind;
  /** Orders the entry names (a reserve batch, or one lifecycle change). */
  orderIds: string[];
}

type Client = Redis | Cluster;
type RawEntries = [string, string[]][];

function entriesOf(raw: RawEntries): StreamEntry[] {
  return raw.map(([id, fields]) => {
    const orderIds: string[] = [];
    const lead = fields?.[0];
    const kind: EntryKind = lead === 'b' ? 'reserved' : lead === 'ev' ? (fields[1] as EntryKind) : 'deleted';
    // The leading pair says what the entry is; the rest are (orderId, user). A deleted entry (XAUTOCLAIM of
    // a trimmed id) has no fields.
    for (let i = 2; i + 1 < (fields?.length ?? 0); i += 2) orderIds.push(fields[i]);
    return { id, kind, orderIds };
  });
}

/** Creates the sale's group (reading from the stream's start) unless it exists. */
export async function ensureOrderGroup(redis: Client, saleId: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', saleKeys(saleId).stream, ORDER_GROUP, '0', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
  }
}

/** True for Redis's NOGROUP error: the sale's stream or its `orders` group is gone (e.g. the sale was made again). */
export function isNoGroup(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOGROUP');
}

async function readGroup(redis: Client, saleId: string, consumer: string, count: number, from: '>' | '0'): Promise<StreamEntry[]> {
  const reply = (await redis.xreadgroup('GROUP', ORDER_GROUP, consumer, 'COUNT', count, 'STREAMS', saleKeys(saleId).stream, from)) as
    | [string, RawEntries][]
    | null;
  return reply === null || reply.length === 0 ? [] : entriesOf(reply[0][1]);
}

/** New entries for this consumer, at most `count` (XREADGROUP ... >), without blocking. Throws NOGROUP without the group. */
export function readNew(redis: Client, saleId: string, consumer: string, count: number): Promise<StreamEntry[]> {
  return readGroup(redis, saleId, consumer, count, '>');
}

/**
 * This consumer's OWN pending entries, oldest first, at most `count` (XREADGROUP ... 0): what it read and did not
 * acknowledge (its commit failed, or a process with the same consumer name stopped mid-batch). Empty once every
 * entry it was given is acknowledged. An entry trimmed meanwhile comes back without fields: kind 'deleted'.
 */
export function readOwnPending(redis: Client, saleId: string, consumer: string, count: number): Promise<StreamEntry[]> {
  return readGroup(redis, saleId, consumer, count, '0');
}

export interface Claimed {
  entries: StreamEntry[];
  /** Where the next XAUTOCLAIM goes on; '0-0' once the whole pending list was scanned. */
  next: string;
}

/**
 * Entries another consumer read but did not acknowledge for `minIdleMs` (it died mid-batch): claimed for
 * this one (XAUTOCLAIM from `cursor`), at most `count`. Ids of entries trimmed meanwhile come back empty:
 * acknowledge them.
 */
export async function claimStale(redis: Client, saleId: string, consumer: string, minIdleMs: number, count: number, cursor = '0-0'): Promise<Claimed> {
  const reply = (await redis.xautoclaim(saleKeys(saleId).stream, ORDER_GROUP, consumer, minIdleMs, cursor, 'COUNT', count)) as [string, RawEntries, string[]?];
  const claimed = entriesOf(reply[1] ?? []);
  const deleted = (reply[2] ?? []).map((id): StreamEntry => ({ id, kind: 'deleted', orderIds: [] }));
  return { entries: [...claimed, ...deleted], next: reply[0] };
}

/** Acknowledges entries whose orders are committed in PostgreSQL. */
export async function ack(redis: Client, saleId: string, ids: string[]): Promise<void> {
  if (ids.length > 0) await redis.xack(saleKeys(saleId).stream, ORDER_GROUP, ...ids);
}

export interface OrderLag {
  sale: string;
  /** Entries read by a worker and not yet acknowledged. */
  pending: number;
  /** Entries not yet read by any worker (Redis 7's group lag; null when Redis cannot tell). */
  unread: number | null;
  /** Age of the oldest entry not yet acknowledged or read, ms (0 when caught up). */
  oldestAgeMs: number;
  /** False when no worker group exists yet for the sale. */
  group: boolean;
}

/** The last id the group was given ('0-0' before the first read). */
function deliveredId(group: Map<string, unknown>): string {
  const id = group.get('last-delivered-id');
  return typeof id === 'string' ? id : '0-0';
}

/** The `orders` group's XINFO GROUPS fields, or undefined without the stream or the group. */
async function groupInfo(redis: Client, saleId: string): Promise<Map<string, unknown> | undefined> {
  let groups: unknown[][];
  try {
    groups = (await redis.xinfo('GROUPS', saleKeys(saleId).stream)) as unknown[][];
  } catch {
    return undefined; // no such stream yet
  }
  for (const g of groups) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) fields.set(String(g[i]), g[i + 1]);
    if (fields.get('name') === ORDER_GROUP) return fields;
  }
  return undefined;
}

export interface GroupBacklog {
  /** False without the stream or its `orders` group. */
  group: boolean;
  /** Entries read by any consumer and not acknowledged. */
  pending: number;
  /** Entries no consumer has read yet; null when Redis cannot tell. */
  unread: number | null;
}

/** What the group still owes PostgreSQL, in one call (XINFO GROUPS). */
export async function groupBacklog(redis: Client, saleId: string): Promise<GroupBacklog> {
  const ours = await groupInfo(redis, saleId);
  if (ours === undefined) return { group: false, pending: 0, unread: null };
  const lagValue = ours.get('lag');
  return { group: true, pending: Number(ours.get('pending') ?? 0), unread: lagValue === null || lagValue === undefined ? null : Number(lagValue) };
}

function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** How far the workers are behind on one sale, from XINFO GROUPS and XPENDING; `nowMs` is Redis's clock. */
export async function orderLag(redis: Client, saleId: string, nowMs: number): Promise<OrderLag> {
  const stream = saleKeys(saleId).stream;
  const ours = await groupInfo(redis, saleId);
  if (ours === undefined) return { sale: saleId, pending: 0, unread: null, oldestAgeMs: 0, group: false };
  const pending = Number(ours.get('pending') ?? 0);
  const lagValue = ours.get('lag');
  const unread = lagValue === null || lagValue === undefined ? null : Number(lagValue);
  let oldest: string | undefined;
  if (pending > 0) {
    const summary = (await redis.xpending(stream, ORDER_GROUP)) as [number, string | null, string | null, unknown];
    oldest = summary[1] ?? undefined;
  } else if (unread !== null && unread > 0) {
    const delivered = deliveredId(ours);
    const next = (await redis.xrange(stream, `(${delivered}`, '+', 'COUNT', 1)) as RawEntries;
    oldest = next[0]?.[0];
  }
  return { sale: saleId, pending, unread, oldestAgeMs: oldest === undefined ? 0 : Math.max(0, nowMs - idTime(oldest)), group: true };
}

/**
 * The id below which the group needs nothing: its oldest pending entry, else the entry after the last one it
 * was given (entries not yet delivered are never below it, whatever arrives meanwhile). Undefined without
 * the group. For trim-stream, which also keeps every entry a hold deadline names.
 */
export async function cutBelow(redis: Client, saleId: string): Promise<string | undefined> {
  const stream = saleKeys(saleId).stream;
  const ours = await groupInfo(redis, saleId);
  if (ours === undefined) return undefined;
  const summary = (await redis.xpending(stream, ORDER_GROUP)) as [number, string | null, string | null, unknown];
  if (summary[0] > 0 && summary[1] !== null) return summary[1];
  const delivered = deliveredId(ours);
  const dash = delivered.indexOf('-');
  return `${delivered.slice(0, dash)}-${BigInt(delivered.slice(dash + 1)) + 1n}`;
}

/** The oldest entry the group still needs (pending, or not yet delivered); undefined when it has caught up
 *  (or has no group). */
export async function oldestNeeded(redis: Client, saleId: string): Promise<string | undefined> {
  const below = await cutBelow(redis, saleId);
  if (below === undefined) return undefined;
  const next = (await redis.xrange(saleKeys(saleId).stream, below, '+', 'COUNT', 1)) as RawEntries;
  return next[0]?.[0];
}
