/**
 * A seeded pseudo-random source (mulberry32): the same seed gives the same fault schedule and the same
 * buyer choices, so a failing chaos run can be replayed with `--seed`. Timing on a shared machine still
 * varies between runs; the seed fixes what happens and in which order, not the exact interleaving.
 */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A child source for one actor, so adding an actor does not shift every other actor's choices. */
  fork(label: number): Rng {
    return new Rng((Math.imul(this.seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(label + 1, 0xc2b2ae35)) >>> 0);
  }
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
