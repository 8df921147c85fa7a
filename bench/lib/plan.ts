// One run of a scenario: which system, laid out how, selling what, under which load, judged how.
import type { BenchOptions } from './options.js';
import type { Layout, SaleSpec, SystemName } from './system.js';

/** `connections` (wrk): this run's -c whatever --connections says (the high-concurrency sale paths); its warm-up too. */
export type LoadPlan =
  | { tool: 'wrk'; script: 'buyers'; mode: 'user' | 'anon'; seconds: number; budgetPerThread?: number; connections?: number }
  | { tool: 'wrk'; script: 'mixed'; seconds: number; connections?: number }
  | { tool: 'ab'; requests: number; concurrency: number };

export interface Plan {
  scenario: string;
  system: SystemName;
  layout: Layout;
  sale: SaleSpec;
  load: LoadPlan;
  judge: 'sale' | 'mixed';
  /**
   * Sell the stock out before the measured load (its own buyers, a request budget of the stock plus a margin):
   * the figures are then those of the answers after a sell-out alone. The audit counts both loads.
   */
  sellOutFirst?: boolean;
  /**
   * Every purchase of the measured load commits (stock never runs out): the report sets its committed/s beside
   * the bound Redis's fsync puts on any design with appendfsync always (bench/lib/fsync.ts).
   */
  commitsEveryPurchase?: boolean;
}

/** The connections the measured load keeps open: the plan's own, else --connections (ab: its -c). */
export function connectionsOf(plan: Plan, o: BenchOptions): number {
  const l = plan.load;
  return l.tool === 'ab' ? l.concurrency : (l.connections ?? o.connections);
}

/**
 * A load bounded by time (wrk -d without a purchase budget): the same run again measures the same thing, so it
 * can be repeated in rounds. A budgeted or ab load is bounded by its buyers and runs once.
 */
export function durationBounded(plan: Plan): boolean {
  const l = plan.load;
  return l.tool === 'wrk' && (l.script === 'mixed' || l.budgetPerThread === undefined);
}

export interface Scenario {
  name: string;
  /** One sentence for the report: what the crowd is and what it shows. */
  about: string;
  plans(o: BenchOptions): Plan[];
}

/** Larger than any run's demand: every purchase commits (the sale path). */
export const ENDLESS_STOCK = 50_000_000;

/** One node with the machine's two cores as threads (or workers), buyers connecting to it directly. */
export function oneNode(threads = 2): Layout {
  return { nodes: 1, threads, weights: [1], nginx: false };
}

/** The article's picture: nginx weighted 1:2:3:4 over four nodes, one thread each (two cores for all four). */
export const FOUR_NODES: Layout = { nodes: 4, threads: 1, weights: [1, 2, 3, 4], nginx: true };

/** One node behind nginx (the baselines of the article's ab run). */
export function oneNodeBehindNginx(threads: number): Layout {
  return { nodes: 1, threads, weights: [1], nginx: true };
}
