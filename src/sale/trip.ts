import { SEAT_PREFERENCE, type CatalogueSeat, type SeatKind, type SeatPreference } from '../rules/train-config.js';

/**
 * What a train purchase asks for, in the authority's terms: stations by index along the route (0 <= from < to <=
 * segments), a class of the train, an optional seat kind, 1..5 passengers seated together when a coach has room.
 * The HTTP layer turns station names into indexes (src/http/routes/buy.ts).
 */
export interface Trip {
  from: number;
  to: number;
  class: string;
  /** A preferred seat kind: w window, a aisle (lua/includes/seats.lua tries it first). */
  seat?: Extract<SeatKind, 'w' | 'a'>;
  passengers: number;
}

/** A train order's seats as Redis keeps them ({sale:S}:items): seat indexes into the sale's catalogue. */
export interface SeatItem {
  from: number;
  to: number;
  seats: number[];
}

/** lua/reserve-batch-12.lua's per-purchase item: "<from>|<to>|<class>|<pref>|<passengers>". */
export function tripItem(trip: Trip): string {
  return `${trip.from}|${trip.to}|${trip.class}|${trip.seat ?? ''}|${trip.passengers}`;
}

/** "<from>|<to>|<seat>,<seat>,..." -> the seats, or null when it is not one. */
export function parseSeatItem(item: unknown): SeatItem | null {
  if (typeof item !== 'string') return null;
  const m = /^(\d+)\|(\d+)\|(\d+(?:,\d+)*)$/.exec(item);
  if (m === null) return null;
  return { from: Number(m[1]), to: Number(m[2]), seats: m[3].split(',').map(Number) };
}

/** A train purchase as the buyer sends it: stations by name (src/http/request-rules.ts checks the shapes). */
export interface TripAsk {
  from: string;
  to: string;
  class: string;
  seat?: SeatPreference;
  passengers: number;
}

/**
 * The buyer's trip in the sale's terms: station names to indexes along the route, the class checked against the
 * train. A counter sale takes no trip and a train sale needs one. `problem` says what to send instead (a 400).
 */
export function resolveTrip(train: { stations: string[]; classes: string[] } | null, asked: TripAsk | undefined): { trip?: Trip; problem?: string } {
  if (train === null) return asked === undefined ? {} : { problem: 'this sale sells no seats on a route: leave from, to, class, seat and passengers out' };
  if (asked === undefined) return { problem: `this is a train sale: send from and to (stations of ${train.stations.join(', ')}) and class (${train.classes.join(', ')})` };
  const from = train.stations.indexOf(asked.from);
  const to = train.stations.indexOf(asked.to);
  if (from < 0) return { problem: `from: ${JSON.stringify(asked.from)} is not a station of this train (${train.stations.join(', ')})` };
  if (to < 0) return { problem: `to: ${JSON.stringify(asked.to)} is not a station of this train (${train.stations.join(', ')})` };
  if (to <= from) return { problem: `to: ${asked.to} comes before ${asked.from} on this train: send stations in the train's direction` };
  if (!train.classes.includes(asked.class)) return { problem: `class: this train has ${train.classes.join(', ')}, not ${JSON.stringify(asked.class)}` };
  const trip: Trip = { from, to, class: asked.class, passengers: asked.passengers };
  if (asked.seat !== undefined) trip.seat = SEAT_PREFERENCE[asked.seat];
  return { trip };
}

/**
 * A train sale as the parts that sell it read it: the route, the classes, and the seat catalogue (seat index ->
 * coach, label, class, kind) that turns the authority's seat indexes into what a ticket prints.
 */
export interface TrainView {
  /** The day the train runs (YYYY-MM-DD), when its sale says. */
  date?: string;
  stations: string[];
  classes: string[];
  catalogue: CatalogueSeat[];
}

/** A seat as a buyer and a ticket see it. */
export interface SeatView {
  coach: string;
  seat: string;
  from: string;
  to: string;
}
