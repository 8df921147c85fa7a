import { inStopOrder, ROLES, stopRanks, type ChildRecord } from './children.js';
import type { Logger } from './log.js';
import { cmdlineMatches, procInfo, sendSignal, waitGone } from './proc.js';
import type { UpState } from './state.js';

/**
 * Every child a state file names — its own and the leftovers it inherited — in stop order (src/launcher/children.ts
 * ROLES): the watchdog first (it is stopping the others already: let it finish rather than race it), nginx (no new
 * buyers), the nodes (they drain), the order workers after the nodes (they finish their batch), Redis and
 * PostgreSQL last.
 */
export function recordedChildren(state: UpState): ChildRecord[] {
  return inStopOrder([...(state.leftovers ?? []), ...state.children]);
}

export interface Inspected {
  /** Alive and its cmdline is the one recorded: a child of that `up`, still running. */
  ours: ChildRecord[];
  /** Alive but something else now (a recycled pid): never signalled. */
  foreign: { record: ChildRecord; cmdline: string }[];
}

export function inspectChildren(records: ChildRecord[]): Inspected {
  const result: Inspected = { ours: [], foreign: [] };
  for (const record of records) {
    const info = procInfo(record.pid);
    if (!info.alive) continue;
    if (cmdlineMatches(info.cmdline, record.cmdlineHas)) result.ours.push(record);
    else result.foreign.push({ record, cmdline: info.cmdline });
  }
  return result;
}

type Outcome = { stopped: true; how: string } | { stopped: false; how: string; stuck: boolean };

/** Stops one leftover by its policy, never a pid that has stopped being that child. */
async function stopOne(record: ChildRecord): Promise<Outcome> {
  const policy = ROLES[record.role].leftover;
  const started = Date.now();
  const took = () => `${Date.now() - started} ms`;
  // Read /proc again before every signal: between two looks the pid may have exited and been reused.
  const check = (): Outcome | undefined => {
    const info = procInfo(record.pid);
    if (!info.alive) return { stopped: true, how: `gone after ${took()}` };
    if (cmdlineMatches(info.cmdline, record.cmdlineHas)) return undefined;
    return { stopped: false, stuck: false, how: `now runs "${info.cmdline.slice(0, 80)}": not ours, left alone` };
  };
  const first = check();
  if (first !== undefined) return first;
  if (policy.selfExitMs > 0 && (await waitGone(record.pid, policy.selfExitMs, 50))) return { stopped: true, how: `exited by itself after ${took()}` };
  const before = check();
  if (before !== undefined) return before;
  sendSignal(record.pid, policy.signal);
  // A stopped process (SIGSTOP: a benchmark pausing the worker, a debugger) acts on the signal only once continued.
  sendSignal(record.pid, 'SIGCONT');
  if (await waitGone(record.pid, policy.timeoutMs)) return { stopped: true, how: `${policy.signal}, gone after ${took()}` };
  const late = check();
  if (late !== undefined) return late;
  // The process group too: nginx's workers would outlive their SIGKILLed master (pgid == pid: spawned detached).
  sendSignal(-record.pid, 'SIGKILL');
  sendSignal(record.pid, 'SIGKILL');
  if (await waitGone(record.pid, 2000)) return { stopped: true, how: `${policy.signal} ignored for ${policy.timeoutMs} ms; SIGKILL, gone after ${took()}` };
  return { stopped: false, stuck: true, how: `still running after SIGKILL (${took()})` };
}

/**
 * Stops the children a dead `up` left running — only while a pid's cmdline is still the recorded one — in
 * stop order (one rank together: all nodes, all workers, Redis with PostgreSQL), one log line each. Returns the ones that would not stop (not ours to
 * signal, say): the caller must then leave the var dir alone.
 */
export async function stopLeftovers(records: ChildRecord[], log: Logger): Promise<ChildRecord[]> {
  const stuck: ChildRecord[] = [];
  const one = async (record: ChildRecord) => {
    const outcome = await stopOne(record);
    const fields = { child: record.name, pid: record.pid, upPid: record.upPid };
    const what = `${record.name} (pid ${record.pid}) left by up pid ${record.upPid}`;
    if (outcome.stopped) log.info(fields, `cleaned up ${what}: ${outcome.how}`);
    else if (!outcome.stuck) log.warn(fields, `${what} ${outcome.how}`);
    else {
      stuck.push(record);
      log.error(fields, `could not stop ${what}: ${outcome.how}`);
    }
  };
  for (const roles of stopRanks()) await Promise.all(records.filter((r) => roles.includes(r.role)).map(one));
  return stuck;
}

/** One log line per recorded pid that is now another program: left alone, and said so. */
export function reportForeign(foreign: Inspected['foreign'], log: Logger): void {
  for (const { record, cmdline } of foreign) {
    log.warn(
      { child: record.name, pid: record.pid, upPid: record.upPid, cmdline },
      `pid ${record.pid} was ${record.name} of up pid ${record.upPid} but now runs "${cmdline.slice(0, 120)}": not ours, left alone`,
    );
  }
}
