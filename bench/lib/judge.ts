// The audit of a scenario, after the system's own books: did the system sell exactly what the crowd it was
// shown should have bought? Pure (unit-tested): numbers in, a list of problems out — empty means it passed.
import { undecided, type LoadResult } from './load-result.js';
import type { Books } from './system.js';

/**
 * Every purchase a distinct buyer (or an anonymous one): exactly min(stock, demand) sold. A buyer who heard
 * "success" or "sold out" is decided demand; a buyer with no answer or a 5xx may or may not have bought, so
 * they widen the range instead of being guessed. "Sold out" may be heard only when nothing is left.
 */
export function judgeSale(stock: number, load: LoadResult, books: Books): string[] {
  const problems = [...books.problems];
  const sold = books.sold;
  const open = undecided(load);
  if (sold > stock) problems.push(`oversold: ${sold} sold, stock ${stock}`);
  let decided: number;
  if (load.counts !== null) {
    const c = load.counts;
    decided = c.ok + c.soldOut;
    if (sold < c.ok) problems.push(`${c.ok} buyers heard success but only ${sold} sales are in Redis`);
    if (c.soldOut > 0 && sold < stock) problems.push(`${c.soldOut} buyers heard sold out while ${stock - sold} tickets were left`);
    if (c.limit > 0) problems.push(`${c.limit} new buyers were refused for a per-user limit they had not reached`);
    if (c.other > 0) problems.push(`${c.other} answers with an unexpected code`);
  } else {
    // ab sees statuses only: a 2xx is a success or a sold out, and sold out means everything was sold.
    decided = load.answered - load.non2xx;
  }
  const lo = Math.min(stock, decided);
  const hi = Math.min(stock, decided + open);
  if (sold < lo || sold > hi) {
    problems.push(`sold ${sold}, expected min(stock ${stock}, demand) = ${lo === hi ? lo : `${lo}..${hi} (${open} purchases undecided)`}`);
  }
  return problems;
}

/** The mixed crowd: the books close, and Redis's pays, cancels and orders match what buyers were told. */
export function judgeMixed(load: LoadResult, books: Books): string[] {
  const problems = [...books.problems];
  const open = undecided(load);
  const within = (what: string, inRedis: unknown, heard: number) => {
    const n = Number(inRedis);
    if (!Number.isFinite(n)) problems.push(`the audit did not report ${what}`);
    else if (n < heard || n > heard + open) problems.push(`${what}: ${n} in Redis, but ${heard} confirmed to buyers (+ up to ${open} undecided)`);
  };
  within('paid orders', books.detail['paid'], load.extra['paid'] ?? 0);
  within('cancelled orders', books.detail['cancelled'], load.extra['cancelled'] ?? 0);
  within('orders made', books.detail['orders'], load.extra['newOrders'] ?? 0);
  if (load.counts !== null && load.counts.soldOut > 0) problems.push(`${load.counts.soldOut} sold-out answers, but the stock outlasts the run`);
  if (load.counts !== null && load.counts.other > 0) problems.push(`${load.counts.other} answers with an unexpected code`);
  return problems;
}
