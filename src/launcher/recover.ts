import { LaunchError } from './errors.js';
import { inspectChildren, recordedChildren, reportForeign, stopLeftovers, type Inspected } from './leftovers.js';
import type { Logger } from './log.js';
import type { ChildRecord } from './children.js';
import type { UpState } from './state.js';

export interface Recovery {
  /** Recorded pids that are other programs now: left alone; named if one of them holds a port we need. */
  foreign: Inspected['foreign'];
}

/**
 * Deals with what a crashed earlier `up` (its stale up.json: `previous`) left running, before this `up`
 * touches anything in the var dir: a Redis still appending to var/redis must never see its files removed.
 *
 * Without --fresh, each child still running with its recorded cmdline is stopped gracefully (Redis with
 * SIGTERM, awaited: its AOF is complete) and this `up` goes on with the same data. With --fresh, nothing is
 * stopped and nothing deleted: the leftovers may be serving a live sale, and --fresh would throw its orders
 * away — the operator decides. `remember` writes the leftovers into our own up.json at once, so they stay
 * known if this `up` is refused or dies too.
 */
export async function recoverFromCrash(
  previous: UpState,
  fresh: boolean,
  log: Logger,
  remember: (leftovers: ChildRecord[] | undefined) => void,
): Promise<Recovery> {
  const { ours, foreign } = inspectChildren(recordedChildren(previous));
  reportForeign(foreign, log);
  if (ours.length === 0) return { foreign };
  remember(ours);
  const list = ours.map((r) => `${r.name} (pid ${r.pid})`).join(', ');
  const pids = ours.map((r) => r.pid).join(' ');
  // Usually `previous` itself; a refused `up` carries an earlier one's leftovers forward.
  const owner = [...new Set(ours.map((r) => r.upPid))].join(', ');
  if (fresh) {
    const watchdog = ours.some((r) => r.role === 'watchdog') ? ' (its watchdog is stopping them: retry in a few seconds)' : '';
    throw new LaunchError(
      'LEFTOVERS_ALIVE',
      `the previous up (pid ${owner}) died and left ${list} running${watchdog}; --fresh would delete the files of a live Redis and PostgreSQL, ` +
        `so nothing was touched — run ticket-spike up without --fresh (it stops them gracefully and keeps the data), or stop them yourself (kill ${pids}), then use --fresh`,
    );
  }
  log.warn({ upPid: owner, children: ours.map((r) => `${r.name}:${r.pid}`) }, `the previous up (pid ${owner}) died and left ${list} running: stopping them, keeping the data`);
  const stuck = await stopLeftovers(ours, log);
  if (stuck.length > 0) {
    remember(stuck);
    throw new LaunchError(
      'LEFTOVERS_ALIVE',
      `could not stop ${stuck.map((r) => `${r.name} (pid ${r.pid})`).join(', ')} left by the previous up (pid ${owner}); ` +
        `nothing in the var dir was touched — stop them (kill -9 ${stuck.map((r) => r.pid).join(' ')}) and run up again`,
    );
  }
  remember(undefined);
  return { foreign };
}

/** Added to a port-in-use message: a recorded pid that is another program now may be what holds it. */
export function foreignHint(foreign: Inspected['foreign']): string {
  if (foreign.length === 0) return '';
  const named = foreign.map(({ record, cmdline }) => `pid ${record.pid} (recorded as ${record.name}, now "${cmdline.slice(0, 60)}")`).join(', ');
  return `; ${named} is not ours and was left alone`;
}
