import type { Logger } from './log.js';
import { cmdlineMatches, procInfo, sendSignal, waitGone } from './proc.js';
import type { ChildRecord, ChildRole, UpState } from './state.js';

/**
 * How a leftover of each kind is stopped, in this order: the watchdog first (it is stopping the others
 * already: let it finish rather than race it), nginx (no new buyers), the nodes (they drain), Redis last
 * (SIGTERM: it fsyncs the AOF and exits — every sale it recorded is there at the next start) and PostgreSQL
 * (SIGINT, its fast shutdown: a checkpoint, then exit; committed orders are in the WAL either way).
 */
interface StopPolicy {
  /** Time to exit without being told: a watchdog mid-cleanup, a node that saw its `up` die and drains. */
  selfExitMs: number;
  signal: NodeJS.Signals;
  /** After the signal, this long before SIGKILL. */
  timeoutMs: number;
}

const ORDER: ChildRole[] = ['watchdog', 'nginx', 'node', 'redis', 'postgres'];

const POLICY: Record<ChildRole, StopPolicy> = {
  watchdog: { selfExitMs: 20_000, signal: 'SIGTERM', timeoutMs: 2000 },
  nginx: { selfExitMs: 0, signal: 'SIGQUIT', timeoutMs: 5000 },
  // A node drains on its own once its `up` is gone; a SIGTERM during that drain would cut it short (a
  // second signal means "exit now"), so it gets time first.
  node: { selfExitMs: 3000, signal: 'SIGTERM', timeoutMs: 15_000 },
  redis: { selfExitMs: 0, signal: 'SIGTERM', timeoutMs: 10_000 },
  postgres: { selfExitMs: 0, signal: 'SIGINT', timeoutMs: 15_000 },
};

/** Every child a state file names (its own and the leftovers it inherited), in stop order. */
export function recordedChildren(state: UpState): ChildRecord[] {
  const out: ChildRecord[] = [...(state.leftovers ?? [])];
  const add = (role: ChildRole, name: string, pid: number | undefined, cmdlineHas: string[] | undefined) => {
    if (pid !== undefined && cmdlineHas !== undefined) out.push({ role, name, pid, cmdlineHas, upPid: state.pid });
  };
  add('watchdog', 'watchdog', state.watchdogPid, state.watchdogCmdlineHas);
  add('nginx', 'nginx', state.nginxPid, state.nginxCmdlineHas);
  for (const n of state.nodes ?? []) add('node', n.id, n.pid, n.cmdlineHas);
  add('redis', 'redis', state.redisPid, state.redisCmdlineHas);
  add('postgres', 'postgres', state.postgresPid, state.postgresCmdlineHas);
  return out.sort((a, b) => ORDER.indexOf(a.role) - ORDER.indexOf(b.role));
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
  const policy = POLICY[record.role];
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
 * stop order (the nodes together), one log line each. Returns the ones that would not stop (not ours to
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
  for (const role of ORDER) await Promise.all(records.filter((r) => r.role === role).map(one));
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
