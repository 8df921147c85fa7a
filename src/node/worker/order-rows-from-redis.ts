import type { StreamEntry } from '../../redis/order-stream.js';
import { decodeOrder, idempotencyKeyOf } from '../../sale/order-codec.js';
import type { OrderRow, SeatRow } from '../../store/order-rows.js';
import type { TrainView } from '../../sale/train-catalogue.js';
import { parseSeatItem } from '../../sale/trip.js';
import type { TicketOrder } from '../../tickets/format.js';

/** Every order id a batch of entries names, once each, with the time of the entry that ended it (for
 *  ended_at: the cancel or expiry event's stream id is when Redis made the change). */
export function namedOrders(entries: readonly StreamEntry[]): { ids: string[]; endedAt: Map<string, number>; checkedIn: string[] } {
  const ids = new Set<string>();
  const endedAt = new Map<string, number>();
  const checkedIn = new Set<string>();
  for (const entry of entries) {
    for (const id of entry.orderIds) {
      ids.add(id);
      if (entry.kind === 'cancelled' || entry.kind === 'expired') endedAt.set(id, Number(entry.id.slice(0, entry.id.indexOf('-'))));
      if (entry.kind === 'checkedin') checkedIn.add(id);
    }
  }
  return { ids: [...ids], endedAt, checkedIn: [...checkedIn] };
}

/** The check-in records ("<ms>|<gate>", {sale:S}:checkins) of `ids`, as the store takes them; absent ones skipped. */
export function checkInsFromRedis(ids: readonly string[], records: readonly (string | null)[]): Array<{ orderId: string; checkedInAt: number; gate: string }> {
  const out: Array<{ orderId: string; checkedInAt: number; gate: string }> = [];
  ids.forEach((orderId, i) => {
    const rec = records[i];
    const bar = rec === null || rec === undefined ? -1 : rec.indexOf('|');
    if (bar > 0) out.push({ orderId, checkedInAt: Number(rec!.slice(0, bar)), gate: rec!.slice(bar + 1) });
  });
  return out;
}

/**
 * The rows to write: each order's CURRENT state in Redis (the entry only said something changed). An order
 * Redis no longer has was retired after an earlier commit — PostgreSQL already holds its final state. A record
 * that cannot be read is skipped and reported (the audit names it too); it must not stop the other orders.
 */
export function rowsFromRedis(
  saleId: string,
  ids: readonly string[],
  encoded: readonly (string | null)[],
  endedAt: ReadonlyMap<string, number>,
  onUnreadable: (orderId: string, err: Error) => void,
): OrderRow[] {
  const rows: OrderRow[] = [];
  ids.forEach((id, i) => {
    const enc = encoded[i];
    if (enc === null || enc === undefined) return;
    let view;
    try {
      view = decodeOrder(id, enc);
    } catch (err) {
      onUnreadable(id, err as Error);
      return;
    }
    const row: OrderRow = {
      orderId: id,
      saleId,
      userId: view.user,
      status: view.status,
      reservedAt: view.createdAt ?? 0,
      expiresAt: view.expiresAt,
    };
    if (view.paidAt !== undefined) row.paidAt = view.paidAt;
    // Kept so that a sale rebuilt from PostgreSQL (sale restore) still answers a buyer's retry with the same order.
    const key = idempotencyKeyOf(enc);
    if (key !== '') row.idempotencyKey = key;
    if (view.status === 'cancelled' || view.status === 'expired') {
      const at = endedAt.get(id);
      if (at !== undefined) row.endedAt = at;
    }
    rows.push(row);
  });
  return rows;
}

export function isFinal(status: OrderRow['status']): boolean {
  return status === 'paid' || status === 'cancelled' || status === 'expired';
}

/** A train order's seats as rows of order_seats: the item Redis keeps, named by the sale's catalogue. */
export function attachSeats(rows: OrderRow[], ids: readonly string[], items: readonly (string | null)[], train: TrainView): void {
  const itemOf = new Map(ids.map((id, i) => [id, items[i]]));
  for (const row of rows) {
    const item = parseSeatItem(itemOf.get(row.orderId));
    if (item === null) continue;
    const seats: SeatRow[] = [];
    for (const index of item.seats) {
      const seat = train.catalogue[index];
      if (seat !== undefined) seats.push({ index, coach: seat.coach, seat: seat.label, from: item.from, to: item.to });
    }
    row.seats = seats;
  }
}

/** What a paid row's ticket says: the order, and a train order's seats by station name (as the node signs them). */
export function ticketOrderOf(sale: string, row: OrderRow, train: TrainView | null): TicketOrder {
  const order: TicketOrder = { id: row.orderId, sale, user: row.userId };
  if (row.paidAt !== undefined) order.paidAt = row.paidAt;
  if (train !== null && row.seats !== undefined) {
    order.seats = row.seats.map((s) => ({ coach: s.coach, seat: s.seat, from: train.stations[s.from] ?? String(s.from), to: train.stations[s.to] ?? String(s.to) }));
    if (train.date !== undefined) order.date = train.date;
  }
  return order;
}
