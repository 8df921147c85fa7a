import type { Cluster, Redis } from 'ioredis';
import { saleKeys } from '../redis/keys.js';
import { seatCatalogue, type CatalogueSeat, type TrainConfig } from '../rules/train-config.js';
import { parseSeatItem } from './trip.js';

/**
 * A train sale's seat book recounted from its orders (the audit's seat pass, `ticket-spike audit`): every live
 * order's seats, segment by segment, against the occupancy Redis keeps; the free-stretch index and the F counts
 * against the maximal free stretches of that occupancy; and, for every pair of stations and every class, seats
 * left by F (what the nodes answer) against seats left by the occupancy. Nothing here trusts the scripts'
 * bookkeeping: each structure is rebuilt from the one below it.
 */
export interface SeatBook {
  segments: number;
  catalogue: CatalogueSeat[];
  /** seat index -> occupancy ('1' taken) */
  occupancy: string[];
  /** orderId -> item "<from>|<to>|<seat>,..." */
  items: Map<string, string>;
  /** orderId -> status of the orders Redis still has */
  statuses: Map<string, string>;
  freeMembers: string[];
  /** "<class>|<kind>" -> JSON F */
  stretch: Record<string, string>;
}

export interface SeatRecount {
  problems: string[];
  /** Seat-segments the held orders hold, and the paid ones (retired paid orders included: their seats stay). */
  heldUnits: number;
  paidUnits: number;
  /** Seats of `cls` free on every segment of [a, b), counted from the occupancy. */
  left(cls: string, a: number, b: number): number;
}

/** The maximal free stretches [l, r) of one occupancy string. */
export function freeStretches(occ: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let l = -1;
  for (let i = 0; i <= occ.length; i++) {
    const free = i < occ.length && occ[i] === '0';
    if (free && l < 0) l = i;
    if (!free && l >= 0) {
      out.push([l, i]);
      l = -1;
    }
  }
  return out;
}

/** The book, read with HSCAN pages (the orders and items of a big sale are never one reply). */
export async function readSeatBook(redis: Redis | Cluster, saleId: string, catalogue: CatalogueSeat[], segments: number): Promise<SeatBook> {
  const k = saleKeys(saleId);
  const scan = async (key: string) => {
    const out = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, flat] = await redis.hscan(key, cursor, 'COUNT', 1000);
      for (let i = 0; i < flat.length; i += 2) out.set(flat[i], flat[i + 1]);
      cursor = next;
    } while (cursor !== '0');
    return out;
  };
  const [seats, items, orders, freeMembers, stretch] = await Promise.all([scan(k.seats), scan(k.items), scan(k.orders), redis.zrange(k.free, 0, -1), redis.hgetall(k.stretch)]);
  const statuses = new Map<string, string>();
  for (const [id, enc] of orders) statuses.set(id, enc.slice(0, enc.indexOf('|')));
  return { segments, catalogue, occupancy: catalogue.map((_, i) => seats.get(String(i)) ?? ''), items, statuses, freeMembers, stretch };
}

export function recountSeats(book: SeatBook): SeatRecount {
  const { segments: S, catalogue, occupancy } = book;
  const problems: string[] = [];
  const cells = (S * (S + 1)) / 2;
  const cell = (l: number, r: number) => (l * (2 * S - l + 1)) / 2 + (r - l - 1);
  // 1. Live orders' seats, segment by segment: each at most once. An item whose order left Redis is a retired
  //    paid order (retention keeps only those items): its seats stay taken.
  const owner = catalogue.map(() => new Array<string | null>(S).fill(null));
  let heldUnits = 0;
  let paidUnits = 0;
  for (const [orderId, raw] of book.items) {
    const status = book.statuses.get(orderId) ?? 'paid';
    if (status !== 'held' && status !== 'paid') continue;
    const item = parseSeatItem(raw);
    if (item === null) {
      problems.push(`order ${orderId}: its seats ${JSON.stringify(raw)} cannot be read`);
      continue;
    }
    if (status === 'held') heldUnits += item.seats.length * (item.to - item.from);
    else paidUnits += item.seats.length * (item.to - item.from);
    for (const seat of item.seats) {
      for (let s = item.from; s < item.to; s++) {
        const was = owner[seat]?.[s];
        if (was === undefined) problems.push(`order ${orderId}: seat ${seat} segment ${s} is not on this train`);
        else if (was !== null) problems.push(`seat ${seat} segment ${s} is sold twice: ${was} and ${orderId}`);
        else owner[seat][s] = orderId;
      }
    }
  }
  for (const [id, status] of book.statuses) {
    if ((status === 'held' || status === 'paid') && !book.items.has(id)) problems.push(`live order ${id} has no seats`);
  }
  for (const [seat, occ] of occupancy.entries()) {
    if (occ.length !== S) {
      problems.push(`seat ${seat}: occupancy ${JSON.stringify(occ)} is not ${S} segments`);
      continue;
    }
    for (let s = 0; s < S; s++) {
      if ((occ[s] === '1') !== (owner[seat][s] !== null)) problems.push(`seat ${seat} segment ${s}: occupancy ${occ[s]}, order ${owner[seat][s] ?? 'none'}`);
    }
  }
  // 2. The free index and F from the occupancy.
  const expected = new Set<string>();
  const F = new Map<string, number[]>();
  for (const [seat, occ] of occupancy.entries()) {
    const { class: cls, kind } = catalogue[seat];
    for (const [l, r] of freeStretches(occ)) {
      expected.add(`${cls}|${kind}|${String(r - l).padStart(2, '0')}|${String(l).padStart(2, '0')}|${String(seat).padStart(4, '0')}`);
      const counts = F.get(`${cls}|${kind}`) ?? new Array<number>(cells).fill(0);
      counts[cell(l, r)]++;
      F.set(`${cls}|${kind}`, counts);
    }
  }
  const members = new Set(book.freeMembers);
  for (const m of expected) if (!members.has(m)) problems.push(`the free index lacks ${m}`);
  for (const m of members) if (!expected.has(m)) problems.push(`the free index has ${m}, which is not a free stretch`);
  const stored = new Map<string, number[]>();
  for (const key of new Set([...F.keys(), ...Object.keys(book.stretch)])) {
    const counted = F.get(key) ?? new Array<number>(cells).fill(0);
    const raw = book.stretch[key];
    const kept = raw === undefined ? new Array<number>(cells).fill(0) : (JSON.parse(raw) as number[]);
    stored.set(key, kept);
    if (JSON.stringify(kept) !== JSON.stringify(counted)) problems.push(`F ${key}: kept ${JSON.stringify(kept)}, counted ${JSON.stringify(counted)}`);
  }
  // 3. Every pair: what the nodes answer (a sum over F) against the occupancy.
  const left = (cls: string, a: number, b: number) => occupancy.filter((occ, seat) => catalogue[seat].class === cls && occ.length === S && !occ.slice(a, b).includes('1')).length;
  for (const cls of new Set(catalogue.map((s) => s.class))) {
    for (let a = 0; a < S; a++) {
      for (let b = a + 1; b <= S; b++) {
        let byF = 0;
        for (const [key, counts] of stored) {
          if (!key.startsWith(`${cls}|`)) continue;
          for (let l = 0; l <= a; l++) for (let r = b; r <= S; r++) byF += counts[cell(l, r)];
        }
        const counted = left(cls, a, b);
        if (byF !== counted) problems.push(`${cls} from station ${a} to ${b}: F says ${byF} left, the seats say ${counted}`);
      }
    }
  }
  return { problems, heldUnits, paidUnits, left };
}

/**
 * The audit's seat pass (src/sale/audit.ts): the book read and recounted; the seat-segments held and paid it
 * finds are what the sale's counters must say.
 */
export async function seatPass(
  redis: Redis | Cluster,
  saleId: string,
  train: TrainConfig,
  problem: (msg: string) => void,
  notes: string[],
): Promise<{ held: number; paid: number }> {
  const recount = recountSeats(await readSeatBook(redis, saleId, seatCatalogue(train), train.stations.length - 1));
  for (const p of recount.problems) problem(p);
  notes.push("a train sale: held and paid count seat-segments, recounted from the orders' seats; holders count passengers and are not checked per order");
  return { held: recount.heldUnits, paid: recount.paidUnits };
}
