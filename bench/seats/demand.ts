// The demand the train benches feed a sale (bench/seats/fill.ts, authority-cost.ts; bench/wrk/buyers.lua draws
// the same mix): 70 % short trips of 1-3 segments, 30 % long ones of half the route or more, each starting
// anywhere it fits, from a seeded source (test/chaos/rng.ts) so a figure can be made again.
import type { Rng } from '../../test/chaos/rng.js';

/** A trip [from, to) on a route of `segments` segments. */
export function tripOf(rng: Rng, segments: number): [number, number] {
  const half = Math.ceil(segments / 2);
  const len = rng.chance(0.7) ? rng.int(1, 3) : rng.int(half, segments);
  const from = rng.int(0, segments - len);
  return [from, from + len];
}
