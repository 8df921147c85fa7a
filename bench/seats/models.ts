// Seat-allocation policies as plain TypeScript, for the fill question (bench/seats/fill.ts): the same rules as
// lua/includes/seats.lua's best fit, and the alternatives it is measured against. One passenger per request.
import type { CatalogueSeat } from '../../src/rules/train-config.js';
import { freeStretches } from '../../src/sale/seat-audit.js';

export type Policy = 'best-fit' | 'first-fit' | 'random';

/** Seats with occupancy; `take` picks a seat by `policy` for [a, b) of `cls`, or returns -1. */
export class SeatModel {
  readonly occupancy: string[];
  private readonly kindRank: number[];

  constructor(
    readonly catalogue: CatalogueSeat[],
    readonly segments: number,
    private readonly policy: Policy,
    private readonly rand: () => number,
  ) {
    this.occupancy = catalogue.map(() => '0'.repeat(segments));
    this.kindRank = catalogue.map((s) => ({ w: 0, a: 1, m: 2 })[s.kind]);
  }

  take(cls: string, a: number, b: number): number {
    const candidates: Array<{ seat: number; len: number; l: number }> = [];
    for (const [seat, occ] of this.occupancy.entries()) {
      if (this.catalogue[seat].class !== cls) continue;
      const around = freeStretches(occ).find(([l, r]) => l <= a && r >= b);
      if (around !== undefined) candidates.push({ seat, len: around[1] - around[0], l: around[0] });
    }
    if (candidates.length === 0) return -1;
    let pick = candidates[0];
    if (this.policy === 'random') pick = candidates[Math.floor(this.rand() * candidates.length)];
    else if (this.policy === 'best-fit') {
      // lua/includes/seats.lua's order: shortest stretch, leftmost, window-aisle-middle, lowest seat.
      for (const c of candidates) {
        const better = c.len - pick.len || c.l - pick.l || this.kindRank[c.seat] - this.kindRank[pick.seat] || c.seat - pick.seat;
        if (better < 0) pick = c;
      }
    }
    const occ = this.occupancy[pick.seat];
    this.occupancy[pick.seat] = occ.slice(0, a) + '1'.repeat(b - a) + occ.slice(b);
    return pick.seat;
  }
}

/**
 * A per-pair-counter design (nageoffer/12306's): a count per pair of stations per class, started at the seats of
 * the class; a sale for [a, b) needs count(a, b) > 0 and takes one from EVERY pair that overlaps [a, b). A seat
 * sold for [0, 2) and again for [2, 5) has taken two from the pairs over both, so it undersells.
 */
export class PairCounters {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly seats: Record<string, number>,
    private readonly segments: number,
  ) {}

  private key(cls: string, i: number, j: number): string {
    return `${cls}|${i}|${j}`;
  }

  take(cls: string, a: number, b: number): boolean {
    const left = this.counts.get(this.key(cls, a, b)) ?? this.seats[cls] ?? 0;
    if (left <= 0) return false;
    for (let i = 0; i < this.segments; i++) {
      for (let j = i + 1; j <= this.segments; j++) {
        if (i < b && j > a) this.counts.set(this.key(cls, i, j), Math.max(0, (this.counts.get(this.key(cls, i, j)) ?? this.seats[cls] ?? 0) - 1));
      }
    }
    return true;
  }
}
