// Rounds: a duration-bounded scenario runs its systems --rounds times, the order reversed every other round
// (hello, ticket-spike, typical, article / article, typical, ticket-spike, hello / ...: ABBA). A machine that
// drifts over the run (another job starting, the disk's cache filling) then weighs on every system alike instead
// of on whichever ran last; and a ratio is taken within a round, between runs minutes apart at most, so a round
// disturbed as a whole moves its ratios less than its rates. The report gives the median over rounds and the
// spread. Pure.
import { durationBounded, type Plan } from './plan.js';

export interface ScheduledRun {
  plan: Plan;
  /** 0-based: round 0 runs the scenario's systems in order, round 1 reversed, round 2 in order ... */
  round: number;
}

/** A round's order of the scenario's systems: as given in even rounds, reversed in odd ones. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...items] : [...items].reverse();
}

/**
 * One scenario's runs: `rounds` ABBA rounds when every plan is duration-bounded; once otherwise (a load bounded by
 * its buyers — million, article — measures a whole crowd; repeating it would take minutes a round).
 */
export function scheduleScenario(plans: Plan[], rounds: number): ScheduledRun[] {
  const n = plans.length > 0 && plans.every(durationBounded) ? rounds : 1;
  return Array.from({ length: n }, (_, round) => roundOrder(plans, round).map((plan) => ({ plan, round }))).flat();
}

/** The median (the mean of the middle two for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** [min, max]; null for none. */
export function spread(values: readonly number[]): [number, number] | null {
  if (values.length === 0) return null;
  return [Math.min(...values), Math.max(...values)];
}

/**
 * Ratios of one system's figure to a peer's, round by round (a round's ratio uses that round's peer run only);
 * rounds where either side is missing or the peer's figure is 0 are left out.
 */
export function ratiosByRound(mine: ReadonlyMap<number, number>, peer: ReadonlyMap<number, number>): number[] {
  const out: number[] = [];
  for (const [round, value] of mine) {
    const other = peer.get(round);
    if (other !== undefined && other !== 0) out.push(Number((value / other).toFixed(3)));
  }
  return out;
}
