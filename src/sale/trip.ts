import type { SeatKind } from '../rules/train-config.js';

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
