// A train sale's orders in PostgreSQL: the order worker carries each order's seats (coach, seat, segment range)
// into order_seats, frees a cancelled or expired order's seats, and the exclusion constraint — the backstop under
// Redis's seat book — refuses two live orders of a sale on one seat over overlapping ranges.
import t from 'tap';
import { OrderWorker } from '../../src/node/worker/order-worker.js';
import { Outcome } from '../../src/redis/codes.js';
import type { TrainConfig } from '../../src/rules/train-config.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import type { Trip } from '../../src/sale/trip.js';
import { OrderStore } from '../../src/store/order-store.js';
import { EXCLUSION_VIOLATION } from '../../src/store/seat-store.js';
import { startOrderStack } from '../helpers/order-stack.js';

const { engine, pool, redis } = await startOrderStack(t);
const train: TrainConfig = {
  stations: ['A', 'B', 'C', 'D', 'E', 'F'],
  coaches: [
    { coach: '01', class: 'second', seats: 2, layout: 'A B' },
    { coach: '02', class: 'first', seats: 2, layout: 'AB' },
  ],
};
const worker = new OrderWorker(redis, engine, new OrderStore(pool), { consumer: 'seats', batch: 100, claimIdleMs: 60_000, idemWindowMs: 0, idleMs: 0, refreshMs: 0 }, { info: () => {}, warn: () => {} });
const drain = async () => {
  for (let i = 0; i < 10 && (await worker.pass()) > 0; i++);
};
const buy = async (trip: Trip, user: string) => {
  const r = (await engine.reserveBatch('TR1', newBatchId(), [{ orderId: newOrderId('TR1'), user, trip }])).results[0];
  if (r.outcome !== Outcome.Success) throw new Error(`expected a seat, got ${JSON.stringify(r)}`);
  return r.orderId;
};
type SeatRowOut = { order_id: string; seat_index: number; coach: string; seat: string; from_station: number; to_station: number; live: boolean };
/** Sorted here, not by PostgreSQL: its collation orders '-' and '_' in order ids its own way. */
const seats = async () =>
  (await pool.query<SeatRowOut>('select order_id, seat_index, coach, seat, from_station, to_station, live from order_seats')).rows.sort(
    (x, y) => (x.order_id < y.order_id ? -1 : x.order_id > y.order_id ? 1 : x.seat_index - y.seat_index),
  );

t.test('the worker writes each order\'s seats and frees an ended order\'s', async (t) => {
  await engine.createSale({ id: 'TR1', perUserLimit: 10, holdSeconds: 600, anonymous: false, train } as never);
  const a = await buy({ from: 0, to: 2, class: 'second', passengers: 2 }, 'ann');
  const b = await buy({ from: 2, to: 5, class: 'first', passengers: 1 }, 'bob');
  await engine.pay(b);
  await drain();
  const rows = await seats();
  t.same(
    rows.map((r) => [r.order_id, r.coach, r.seat, r.from_station, r.to_station, r.live]),
    [
      [a, '01', '01A', 0, 2, true],
      [a, '01', '01B', 0, 2, true],
      [b, '02', '01A', 2, 5, true],
    ].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)),
    'coach, seat and range of every seat, as the catalogue prints them',
  );
  await engine.cancel(a);
  const c = await buy({ from: 1, to: 3, class: 'second', passengers: 2 }, 'cy');
  await drain();
  const after = await seats();
  t.same(after.filter((r) => r.order_id === a).map((r) => r.live), [false, false], "the cancelled order's seats are freed");
  t.same(after.filter((r) => r.order_id === c).map((r) => [r.seat_index, r.from_station, r.to_station, r.live]), [[0, 1, 3, true], [1, 1, 3, true]], 'the same seats sold again, overlapping the freed range');
  const { rows: orders } = await pool.query<{ status: string }>('select status from orders where sale_id = $1 order by order_id', ['TR1']);
  t.equal(orders.length, 3, 'the orders themselves too');
});

t.test('the constraint refuses two live orders on one seat over overlapping ranges', async (t) => {
  const insert = (order: string, sale: string, seat: number, from: number, to: number) =>
    pool.query("insert into order_seats (order_id, sale_id, seat_index, coach, seat, from_station, to_station) values ($1, $2, $3, '01', '01A', $4, $5)", [order, sale, seat, from, to]);
  await insert('X.1', 'X', 0, 0, 2);
  await t.resolves(insert('X.2', 'X', 0, 2, 5), '[0,2) and [2,5) of one seat: both stand');
  await t.resolves(insert('Y.1', 'Y', 0, 0, 5), 'the same seat index of another sale');
  await t.rejects(insert('X.3', 'X', 0, 1, 3), { code: EXCLUSION_VIOLATION }, '[1,3) overlaps both: refused');
  await pool.query("update order_seats set live = false where order_id = 'X.1'");
  await t.resolves(insert('X.4', 'X', 0, 0, 2), 'once X.1 is no longer live its range may be sold again');
});

t.test('a train sale Redis lost is not rebuilt from PostgreSQL with its seats unknown', async (t) => {
  const keys = await redis.keys('{sale:TR1}*');
  await redis.del(...keys);
  await t.rejects(engine.restore(new OrderStore(pool), 'TR1'), { code: 'ERR_INVALID_SALE', message: /train sale/ }, 'refused, with why');
  t.equal(await redis.exists('{sale:TR1}:meta'), 0, 'nothing written');
});
