import { seatCatalogue, trainClasses, type TrainConfig } from '../rules/train-config.js';
import type { SeatItem, SeatView, TrainView } from './trip.js';
import type { OrderView } from './types.js';

export type { SeatView, TrainView } from './trip.js';

/** The view of a train its sale's parts read (src/sale/trip.ts TrainView): route, classes, seat catalogue. */
export function trainView(train: TrainConfig): TrainView {
  const view: TrainView = { stations: train.stations, classes: trainClasses(train), catalogue: seatCatalogue(train) };
  if (train.date !== undefined) view.date = train.date;
  return view;
}

/** lua/create-train-4.lua's ARGV[8..12]: the train as JSON, segments, seat kinds, coach starts, coach classes. */
export function trainArgs(train: TrainConfig): (string | number)[] {
  const kinds = seatCatalogue(train).map((s) => s.kind).join('');
  const starts: number[] = [];
  let at = 0;
  for (const c of train.coaches) {
    starts.push(at);
    at += c.seats;
  }
  return [JSON.stringify(train), train.stations.length - 1, kinds, starts.join(','), train.coaches.map((c) => c.class).join(',')];
}

/**
 * An order as a buyer sees it: a train order's seats named by the catalogue (`seats`), the indexes (`item`)
 * dropped. `train` null (a counter sale, or not known here): the order as it is, without `item`.
 */
export function namedOrder<T extends OrderView>(order: T, train: TrainView | null): T {
  if (order.item === undefined) return order;
  const { item, ...rest } = order;
  const seats = train === null ? null : seatsOf(train, item);
  if (seats === null) return rest as T;
  return (train?.date === undefined ? { ...rest, seats } : { ...rest, date: train.date, seats }) as T;
}

/** The seats of an order, as the catalogue names them; null when an index is not in the catalogue. */
export function seatsOf(view: TrainView, item: SeatItem): SeatView[] | null {
  const from = view.stations[item.from];
  const to = view.stations[item.to];
  if (from === undefined || to === undefined) return null;
  const out: SeatView[] = [];
  for (const index of item.seats) {
    const seat = view.catalogue[index];
    if (seat === undefined) return null;
    out.push({ coach: seat.coach, seat: seat.label, from, to });
  }
  return out;
}
