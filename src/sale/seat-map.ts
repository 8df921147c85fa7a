import type { Cluster, Redis } from 'ioredis';
import { EngineError } from '../redis/codes.js';
import { saleKeys } from '../redis/keys.js';
import { matches } from '../rules/input-rules.js';
import { COACH_ID, seatCatalogue, type SeatKind, type TrainConfig } from '../rules/train-config.js';

/**
 * What an operator looks at on a train (the live dashboard): per class, how many of its seats are taken on each
 * segment of the route, from the F table a node already holds (no Redis call); and, for one coach, each seat's
 * occupancy as Redis keeps it (one HMGET).
 */

/** Seats free on every segment of [a, b) by an F table (lua/includes/seats.lua: cell(l, r), l <= a, r >= b). */
export function leftByCells(cells: readonly number[], segments: number, a: number, b: number): number {
  let n = 0;
  for (let l = 0; l <= a; l++) {
    const row = (l * (2 * segments - l + 1)) / 2 - l - 1; // cell(l, r) = row + r
    for (let r = b; r <= segments; r++) n += cells[row + r] ?? 0;
  }
  return n;
}

/** Seats of a class taken on each segment s (= seats - seats free on [s, s + 1)). */
export function segmentLoad(cells: readonly number[], segments: number, seats: number): number[] {
  return Array.from({ length: segments }, (_, s) => seats - leftByCells(cells, segments, s, s + 1));
}

export interface CoachMap {
  coach: string;
  class: string;
  stations: string[];
  /** Each seat of the coach: its label, kind, and occupancy ('1' per segment sold or held). */
  seats: Array<{ seat: string; kind: SeatKind; occupancy: string }>;
}

/** One coach's seats with their occupancy; throws ERR_INVALID_ARGUMENT for a coach the train has not. */
export async function coachMap(redis: Redis | Cluster, saleId: string, train: TrainConfig, coach: string): Promise<CoachMap> {
  const cfg = matches(COACH_ID, coach) ? train.coaches.find((c) => c.coach === coach) : undefined;
  if (cfg === undefined) {
    throw new EngineError('ERR_INVALID_ARGUMENT', `sale ${saleId} has no coach ${JSON.stringify(coach)}: its coaches are ${train.coaches.map((c) => c.coach).join(', ')}`, 'coach');
  }
  const indexes: number[] = [];
  const catalogue = seatCatalogue(train);
  catalogue.forEach((s, i) => {
    if (s.coach === coach) indexes.push(i);
  });
  const occupancy = await redis.hmget(saleKeys(saleId).seats, ...indexes.map(String));
  return {
    coach,
    class: cfg.class,
    stations: train.stations,
    seats: indexes.map((i, j) => ({ seat: catalogue[i].label, kind: catalogue[i].kind, occupancy: occupancy[j] ?? '' })),
  };
}
