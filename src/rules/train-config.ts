import { checkInt, checkText, matches, type IntRule, type TextRule } from './input-rules.js';

/**
 * A train sale's route and seats, as an operator sends them (POST /admin/sales with "kind": "train") and as
 * every part reads them: the stations in route order, the coaches with a class, a seat count and a row layout.
 * A seat is sold for [from, to) — station indexes, from < to — and stays for sale on the rest of the route.
 * lua/create-train-4.lua checks the catalogue this builds again before it writes.
 */

export const STATION_NAME: TextRule = {
  what: 'station',
  pattern: /^[^|\x00-\x1f\x7f]{1,48}$/u,
  maxLength: 48,
  shape: '1-48 characters, no | and no control characters',
};
/** A coach as printed on the ticket: "01", "12A". */
export const COACH_ID: TextRule = { what: 'coach', pattern: /^[A-Za-z0-9]{1,4}$/, maxLength: 4, shape: '1-4 letters or digits, like "01"' };
/** A seat class: "second", "first", "business". Embedded in Redis members "<class>|...": no '|'. */
export const SEAT_CLASS: TextRule = { what: 'class', pattern: /^[a-z0-9_-]{1,16}$/, maxLength: 16, shape: '1-16 characters of a-z 0-9 _ -' };
/** Seat letters of one row, groups separated by one space (the aisle): "ABC DF". */
export const SEAT_LAYOUT: TextRule = { what: 'layout', pattern: /^[A-Z]{1,4}( [A-Z]{1,4}){0,2}$/, maxLength: 14, shape: 'seat letters of a row with a space for each aisle, like "ABC DF"' };

export const STATIONS: IntRule = { what: 'stations', min: 2, max: 64 };
export const COACHES: IntRule = { what: 'coaches', min: 1, max: 64 };
export const COACH_SEATS: IntRule = { what: 'seats', min: 1, max: 200 };
/** Seats of one train: seat indexes are written with four digits in Redis (lua/includes/seats.lua). */
export const TRAIN_SEATS_MAX = 4000;
export const PASSENGERS: IntRule = { what: 'passengers', min: 1, max: 5 };

export interface CoachConfig {
  coach: string;
  class: string;
  seats: number;
  layout: string;
}

export interface TrainConfig {
  stations: string[];
  coaches: CoachConfig[];
  /** The day the train runs, YYYY-MM-DD, printed on its tickets; absent: the sale id names the train-day alone. */
  date?: string;
}

/** A train's day: a real calendar date, YYYY-MM-DD. */
export function isTrainDate(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
}

/** w window, a aisle, m middle: what a buyer may ask for ("seat": "window" | "aisle"). */
export type SeatKind = 'w' | 'a' | 'm';
export const SEAT_PREFERENCE = { window: 'w', aisle: 'a' } as const satisfies Record<string, SeatKind>;
export type SeatPreference = keyof typeof SEAT_PREFERENCE;

/** One seat of the train, in catalogue order (coach by coach, row by row): its index is its place in the list. */
export interface CatalogueSeat {
  coach: string;
  /** Row and letter, as printed: "07F". */
  label: string;
  class: string;
  kind: SeatKind;
}

export type TrainCheck = { ok: true; value: TrainConfig } | { ok: false; field: string; problem: string };

export function checkTrainConfig(input: { stations?: unknown; coaches?: unknown; date?: unknown }): TrainCheck {
  const { stations, coaches, date } = input;
  if (date !== undefined && !isTrainDate(date)) return { ok: false, field: 'date', problem: 'send the day the train runs as YYYY-MM-DD, or leave it out' };
  if (!Array.isArray(stations)) return { ok: false, field: 'stations', problem: 'send the station names in route order, 2 to 64' };
  const count = checkInt(STATIONS, stations.length);
  if (!count.ok) return { ok: false, field: 'stations', problem: `${stations.length} stations: send 2 to 64` };
  const seen = new Set<string>();
  for (const [i, name] of stations.entries()) {
    const checked = checkText(STATION_NAME, name);
    if (!checked.ok) return { ok: false, field: `stations[${i}]`, problem: checked.problem };
    if (seen.has(checked.value)) return { ok: false, field: `stations[${i}]`, problem: `${JSON.stringify(name)} is on the route twice: name each station once` };
    seen.add(checked.value);
  }
  if (!Array.isArray(coaches)) return { ok: false, field: 'coaches', problem: 'send a list of {coach, class, seats, layout}' };
  const n = checkInt(COACHES, coaches.length);
  if (!n.ok) return { ok: false, field: 'coaches', problem: `${coaches.length} coaches: send 1 to 64` };
  const ids = new Set<string>();
  let seats = 0;
  const value: CoachConfig[] = [];
  for (const [i, c] of (coaches as unknown[]).entries()) {
    if (c === null || typeof c !== 'object') return { ok: false, field: `coaches[${i}]`, problem: 'send {coach, class, seats, layout}' };
    const o = c as Record<string, unknown>;
    for (const [field, rule] of [['coach', COACH_ID], ['class', SEAT_CLASS], ['layout', SEAT_LAYOUT]] as const) {
      if (!matches(rule, o[field])) return { ok: false, field: `coaches[${i}].${field}`, problem: `send ${rule.shape}` };
    }
    const count = checkInt(COACH_SEATS, o['seats']);
    if (!count.ok) return { ok: false, field: `coaches[${i}].seats`, problem: count.problem };
    const layout = o['layout'] as string;
    if (new Set(layout.replace(/ /g, '')).size !== layout.replace(/ /g, '').length) {
      return { ok: false, field: `coaches[${i}].layout`, problem: 'each seat letter once per row' };
    }
    if (ids.has(o['coach'] as string)) return { ok: false, field: `coaches[${i}].coach`, problem: `coach ${JSON.stringify(o['coach'])} twice: number each coach once` };
    ids.add(o['coach'] as string);
    seats += count.value;
    value.push({ coach: o['coach'] as string, class: o['class'] as string, seats: count.value, layout });
  }
  if (seats > TRAIN_SEATS_MAX) return { ok: false, field: 'coaches', problem: `${seats} seats in all: at most ${TRAIN_SEATS_MAX} per train` };
  return { ok: true, value: { stations: stations as string[], coaches: value, ...(date === undefined ? {} : { date }) } };
}

/** Window: the first and last letter of a row; aisle: a letter beside a space; middle: the others. */
export function seatKinds(layout: string): Map<string, SeatKind> {
  const kinds = new Map<string, SeatKind>();
  const letters = layout.replace(/ /g, '');
  for (let i = 0; i < layout.length; i++) {
    const letter = layout[i];
    if (letter === ' ') continue;
    const kind: SeatKind =
      letter === letters[0] || letter === letters[letters.length - 1] ? 'w' : layout[i - 1] === ' ' || layout[i + 1] === ' ' ? 'a' : 'm';
    kinds.set(letter, kind);
  }
  return kinds;
}

/** Every seat of the train in catalogue order: coach by coach, row by row, letter by letter. */
export function seatCatalogue(train: TrainConfig): CatalogueSeat[] {
  const out: CatalogueSeat[] = [];
  for (const c of train.coaches) {
    const kinds = seatKinds(c.layout);
    const letters = [...kinds.keys()];
    for (let i = 0; i < c.seats; i++) {
      const letter = letters[i % letters.length];
      const row = Math.floor(i / letters.length) + 1;
      out.push({ coach: c.coach, label: `${String(row).padStart(2, '0')}${letter}`, class: c.class, kind: kinds.get(letter)! });
    }
  }
  return out;
}

/** The classes of the train, in the order the coaches first name them. */
export function trainClasses(train: TrainConfig): string[] {
  return [...new Set(train.coaches.map((c) => c.class))];
}
