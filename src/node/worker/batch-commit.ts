import type { Cluster, Redis } from 'ioredis';
import { saleKeys } from '../../redis/keys.js';
import { ack, type StreamEntry } from '../../redis/order-stream.js';
import type { SaleEngine } from '../../sale/engine.js';
import { MAX_RETIRE_PER_CALL } from '../../sale/retention.js';
import type { OrderStore } from '../../store/order-store.js';
import { signTicket, type TicketSigningKey } from '../../tickets/format.js';
import type { TrainView } from '../../sale/train-catalogue.js';
import { attachSeats, checkInsFromRedis, ticketOrderOf, isFinal, namedOrders, rowsFromRedis } from './order-rows-from-redis.js';

export interface BatchResult {
  entries: number;
  orders: number;
  written: number;
  retired: number;
}

export interface CommitDeps {
  redis: Redis | Cluster;
  engine: SaleEngine;
  store: OrderStore;
  idemWindowMs: number;
  ticketKey?: (() => TicketSigningKey | undefined) | undefined;
  /** Replicas that must have what the entries name before PostgreSQL gets it (0: one Redis, nothing to wait for). */
  confirm?: { replicas: number; timeoutMs: number } | undefined;
  /** The sale's train, to write its orders' seats (null: a counter sale; absent: none are written). */
  trainOf?: (sale: string) => Promise<TrainView | null>;
  warn(obj: object, msg: string): void;
}

export class NotReplicatedYet extends Error {
  override readonly name = 'NotReplicatedYet';
}

/**
 * One batch of entries into PostgreSQL, in this order (each step is safe to repeat): the CURRENT state of every
 * order they name (one HMGET) -> one multi-row upsert (a status never goes backwards) -> check-ins -> retire the
 * final orders (after the COMMIT, never before) -> XACK (an entry only once everything it names is committed).
 */
export async function commitBatch(deps: CommitDeps, sale: string, entries: StreamEntry[]): Promise<BatchResult> {
  const { redis, engine, store } = deps;
  const { ids, endedAt, checkedIn } = namedOrders(entries);
  const encoded = ids.length === 0 ? [] : await redis.hmget(saleKeys(sale).orders, ...ids);
  const train = ids.length === 0 || deps.trainOf === undefined ? null : await deps.trainOf(sale);
  // Before the WAIT below, like the orders: a train order's seats, read in the same way.
  const items = train === null ? null : await redis.hmget(saleKeys(sale).items, ...ids);
  // PostgreSQL never gets what a failover could erase: WAIT on this connection covers everything the master had
  // when the HMGET above ran (Redis sets the offset WAIT waits for after every command, reads too: see
  // src/redis/confirmed-scripts.ts), so the orders and the entries are on the replicas before they are committed.
  // Not yet: the entries stay pending for this worker and are read again on its next step.
  const confirm = deps.confirm;
  if (confirm !== undefined && confirm.replicas > 0) {
    const acked = Number(await redis.call('WAIT', confirm.replicas, confirm.timeoutMs));
    if (acked < confirm.replicas) throw new NotReplicatedYet(`sale ${sale}: the entries reached ${acked} of ${confirm.replicas} replicas within ${confirm.timeoutMs} ms; kept pending`);
  }
  const rows = rowsFromRedis(sale, ids, encoded, endedAt, (orderId, err) =>
    deps.warn({ sale, orderId, err: err.message }, 'an order record cannot be read; left in Redis for the audit'),
  );
  if (train !== null && items !== null) attachSeats(rows, ids, items, train);
  const key = deps.ticketKey?.();
  if (key !== undefined) {
    // Ed25519 is deterministic: with the key pay used, this is the ticket the buyer holds. The store fills a
    // ticket only where none is stored, so a rotation never replaces one.
    for (const row of rows) if (row.status === 'paid') row.ticket = signTicket(ticketOrderOf(sale, row, train), key);
  }
  const { written } = rows.length === 0 ? { written: 0 } : await store.upsertOrders(rows);
  // After the rows; the exclusion constraint is the backstop under Redis's seat book (src/store/seat-store.ts).
  if (train !== null) await store.recordSeats(rows);
  // After the rows: a check-in fills columns of a row that must exist (its order was paid, so it was synced).
  if (checkedIn.length > 0) {
    const records = await redis.hmget(saleKeys(sale).checkins, ...checkedIn);
    await store.recordCheckIns(checkInsFromRedis(checkedIn, records));
  }
  let retired = 0;
  const finals = rows.filter((r) => isFinal(r.status)).map((r) => r.orderId);
  for (let i = 0; i < finals.length; i += MAX_RETIRE_PER_CALL) {
    retired += (await engine.retireOrders(sale, finals.slice(i, i + MAX_RETIRE_PER_CALL), deps.idemWindowMs)).retired;
  }
  await ack(redis, sale, entries.map((e) => e.id));
  return { entries: entries.length, orders: rows.length, written, retired };
}
