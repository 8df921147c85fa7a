import type { PoolClient } from './connection.js';
import type { OrderRow, SeatRow } from './order-rows.js';

/** PostgreSQL's SQLSTATE for an exclusion-constraint violation (order_seats_no_overlap). */
export const EXCLUSION_VIOLATION = '23P01';

/**
 * A train order's seats in PostgreSQL (migration 5, order_seats), written by OrderStore.recordSeats. Idempotent like the orders: a seat row is
 * inserted once (its key is the order and seat), and an order that ended (cancelled, expired) frees its seats
 * by live = false, which never goes back. Both in one transaction, the exclusion constraint checked at its
 * commit: a seat freed by one order and taken by the next in the same batch both stand; two live orders on one
 * seat-segment never do — the commit fails with 23P01, the batch stays pending and the audit names it.
 */
export function seatsToRecord(rows: readonly OrderRow[]): { seats: Array<SeatRow & { orderId: string; saleId: string }>; ended: string[] } {
  const seats = rows.flatMap((r) => (r.seats ?? []).map((s) => ({ ...s, orderId: r.orderId, saleId: r.saleId })));
  const ended = rows.filter((r) => r.seats !== undefined && (r.status === 'cancelled' || r.status === 'expired')).map((r) => r.orderId);
  return { seats, ended };
}

/** The writes of recordSeats, on a client inside its transaction. */
export async function writeSeats(client: PoolClient, work: ReturnType<typeof seatsToRecord>): Promise<number> {
  const { seats, ended } = work;
  let written = 0;
  if (seats.length > 0) {
    const result = await client.query(
      `insert into order_seats (order_id, sale_id, seat_index, coach, seat, from_station, to_station)
       select * from unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::int[])
       on conflict (order_id, seat_index) do nothing`,
      [
        seats.map((s) => s.orderId),
        seats.map((s) => s.saleId),
        seats.map((s) => s.index),
        seats.map((s) => s.coach),
        seats.map((s) => s.seat),
        seats.map((s) => s.from),
        seats.map((s) => s.to),
      ],
    );
    written += result.rowCount ?? 0;
  }
  if (ended.length > 0) {
    const result = await client.query('update order_seats set live = false where order_id = any($1::text[]) and live', [ended]);
    written += result.rowCount ?? 0;
  }
  return written;
}
