// Recounts a train sale's seat book from what Redis holds, independently of how the scripts keep it: the live
// orders' seats (orders + items), the occupancy strings, the free-stretch index and the F counts. Tests compare
// the four with each other; nothing here trusts the book's own bookkeeping.
import type { Redis } from 'ioredis';
import { saleKeys } from '../../src/redis/keys.js';
import { parseSeatItem } from '../../src/sale/trip.js';
import type { CatalogueSeat } from '../../src/rules/train-config.js';

export interface Recount {
  /** Problems found: a seat-segment held by two live orders, an occupancy that disagrees with the orders, ... */
  problems: string[];
  /** Occupancy by seat index, as Redis holds it. */
  occupancy: string[];
  /** Seat-segments the live orders hold, split by order status. */
  heldUnits: number;
  paidUnits: number;
  /** Per class, seats free on every segment of [a, b), for every pair: counted from the occupancy strings. */
  left: (cls: string, a: number, b: number) => number;
}

/** Maximal free stretches of one occupancy string: [l, r) pairs. */
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

export async function recountSeats(redis: Redis, saleId: string, catalogue: CatalogueSeat[], segments: number): Promise<Recount> {
  const k = saleKeys(saleId);
  const problems: string[] = [];
  const [seatsRaw, itemsRaw, ordersRaw, freeMembers, stretchRaw, meta] = await Promise.all([
    redis.hgetall(k.seats),
    redis.hgetall(k.items),
    redis.hgetall(k.orders),
    redis.zrange(k.free, 0, -1),
    redis.hgetall(k.stretch),
    redis.hmget(k.meta, 'held', 'paid'),
  ]);
  const occupancy = catalogue.map((_, i) => seatsRaw[String(i)] ?? '');
  // 1. The live orders' seats, segment by segment: each at most once, and exactly the occupied ones.
  const owner = catalogue.map(() => new Array<string | null>(segments).fill(null));
  let heldUnits = 0;
  let paidUnits = 0;
  for (const [orderId, enc] of Object.entries(ordersRaw)) {
    const status = enc.slice(0, enc.indexOf('|'));
    if (status !== 'held' && status !== 'paid') continue;
    const item = parseSeatItem(itemsRaw[orderId]);
    if (item === null) {
      problems.push(`live order ${orderId} has no seats`);
      continue;
    }
    const units = item.seats.length * (item.to - item.from);
    if (status === 'held') heldUnits += units;
    else paidUnits += units;
    for (const seat of item.seats) {
      for (let s = item.from; s < item.to; s++) {
        const was = owner[seat][s];
        if (was !== null) problems.push(`seat ${seat} segment ${s}: ${was} and ${orderId}`);
        owner[seat][s] = orderId;
      }
    }
  }
  for (const [seat, occ] of occupancy.entries()) {
    if (occ.length !== segments) problems.push(`seat ${seat}: occupancy ${JSON.stringify(occ)}`);
    for (let s = 0; s < segments; s++) {
      if ((occ[s] === '1') !== (owner[seat][s] !== null)) problems.push(`seat ${seat} segment ${s}: occupancy ${occ[s]}, order ${owner[seat][s]}`);
    }
  }
  // 2. The free index: one member per maximal free stretch, nothing else.
  const expected = new Set<string>();
  const F = new Map<string, number[]>();
  const cell = (l: number, r: number) => (l * (2 * segments - l + 1)) / 2 + (r - l - 1);
  for (const [seat, occ] of occupancy.entries()) {
    const { class: cls, kind } = catalogue[seat];
    for (const [l, r] of freeStretches(occ)) {
      expected.add(`${cls}|${kind}|${String(r - l).padStart(2, '0')}|${String(l).padStart(2, '0')}|${String(seat).padStart(4, '0')}`);
      const key = `${cls}|${kind}`;
      const counts = F.get(key) ?? new Array<number>((segments * (segments + 1)) / 2).fill(0);
      counts[cell(l, r)]++;
      F.set(key, counts);
    }
  }
  const members = new Set(freeMembers);
  for (const m of expected) if (!members.has(m)) problems.push(`free index lacks ${m}`);
  for (const m of members) if (!expected.has(m)) problems.push(`free index has ${m}, not a free stretch`);
  // 3. F as Redis keeps it equals the recount (absent = all zero).
  for (const key of new Set([...F.keys(), ...Object.keys(stretchRaw)])) {
    const stored = stretchRaw[key] === undefined ? null : (JSON.parse(stretchRaw[key]) as number[]);
    const counted = F.get(key) ?? new Array<number>((segments * (segments + 1)) / 2).fill(0);
    if (stored === null ? counted.some((n) => n !== 0) : JSON.stringify(stored) !== JSON.stringify(counted)) {
      problems.push(`F ${key}: stored ${JSON.stringify(stored)}, counted ${JSON.stringify(counted)}`);
    }
  }
  // 4. The counters: held and paid are the live orders' seat-segments.
  if (Number(meta[0]) !== heldUnits || Number(meta[1]) !== paidUnits) {
    problems.push(`meta held ${meta[0]} paid ${meta[1]}, orders hold ${heldUnits} and paid ${paidUnits}`);
  }
  const left = (cls: string, a: number, b: number) =>
    occupancy.filter((occ, seat) => catalogue[seat].class === cls && !occ.slice(a, b).includes('1')).length;
  return { problems, occupancy, heldUnits, paidUnits, left };
}
