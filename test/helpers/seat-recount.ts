// A train sale's seat book recounted from what Redis holds (src/sale/seat-audit.ts, the audit's seat pass), with
// the counters beside it: tests hold the scripts' bookkeeping against a count made from the orders up.
import type { Redis } from 'ioredis';
import { saleKeys } from '../../src/redis/keys.js';
import type { CatalogueSeat } from '../../src/rules/train-config.js';
import { readSeatBook, recountSeats as recount, type SeatRecount } from '../../src/sale/seat-audit.js';

export interface Recount extends SeatRecount {
  occupancy: string[];
}

export async function recountSeats(redis: Redis, saleId: string, catalogue: CatalogueSeat[], segments: number): Promise<Recount> {
  const book = await readSeatBook(redis, saleId, catalogue, segments);
  const r = recount(book);
  const [held, paid] = await redis.hmget(saleKeys(saleId).meta, 'held', 'paid');
  if (Number(held) !== r.heldUnits || Number(paid) !== r.paidUnits) {
    r.problems.push(`meta held ${held} paid ${paid}, orders hold ${r.heldUnits} and paid ${r.paidUnits}`);
  }
  return { ...r, occupancy: book.occupancy };
}
