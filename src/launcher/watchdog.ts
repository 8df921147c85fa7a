import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspectChildren, recordedChildren, reportForeign, stopLeftovers } from './leftovers.js';
import type { Logger } from './log.js';
import { entryCommand } from './nodes.js';
import { isAlive } from './proc.js';
import { parseState, stateFilePath } from './state.js';
import type { ChildSpec } from './supervisor.js';

export const WATCHDOG_MODULE = 'launcher/watchdog-main';

/**
 * The watchdog `up` runs beside its children. Redis, PostgreSQL and nginx cannot notice that their parent died;
 * a SIGKILLed `up` (or an OOM kill) would leave them serving — Redis appending to files a later `--fresh`
 * removes. The nodes and order workers do notice, but one may not get out (stuck, or stopped with SIGSTOP). The
 * watchdog notices instead and stops every child up.json lists, in up's stop order (src/launcher/children.ts), a
 * node or worker only after it had time to exit by itself. SIGTERM (from `up`, which stops everything itself)
 * ends it without doing anything.
 */
export function watchdogSpec(projectRoot: string, upPid: number, varDir: string, logFile: string): ChildSpec {
  const { command, args, main } = entryCommand(projectRoot, WATCHDOG_MODULE);
  return {
    name: 'watchdog',
    command,
    args: [...args, '--up-pid', String(upPid), '--var-dir', varDir],
    cmdlineHas: [main, `--up-pid ${upPid}`],
    cwd: projectRoot,
    logFile,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 2000,
    // Nothing to wait for: it watches from its first line on.
    ready: () => Promise.resolve(),
    readyTimeoutMs: 1000,
  };
}

/**
 * Waits until `up` is gone — its parent pid changes (immune to pid reuse; the usual case, `up` spawned it),
 * else `upPid` stops existing — then stops what up.json names, if up.json is still that `up`'s: a clean
 * stop removed it, and a newer `up` that took the lock does its own cleanup.
 */
export async function runWatchdog(upPid: number, varDir: string, log: Logger, pollMs = 200): Promise<void> {
  const byParent = process.ppid === upPid;
  log.info({ upPid, varDir, byParent }, `watching up pid ${upPid}`);
  while (byParent ? process.ppid === upPid : isAlive(upPid)) await sleep(pollMs);

  let text: string;
  try {
    text = readFileSync(stateFilePath(varDir), 'utf8');
  } catch {
    log.info({ upPid }, `up pid ${upPid} is gone and its state file too: it stopped cleanly`);
    return;
  }
  const state = parseState(text);
  if (state === undefined || state.pid !== upPid) {
    log.info({ upPid }, `up pid ${upPid} is gone; ${stateFilePath(varDir)} belongs to another up now: nothing to do`);
    return;
  }
  const records = recordedChildren(state).filter((r) => r.role !== 'watchdog' && r.pid !== process.pid);
  const { ours, foreign } = inspectChildren(records);
  reportForeign(foreign, log);
  if (ours.length === 0) {
    log.info({ upPid }, `up pid ${upPid} is gone and none of its children runs`);
    return;
  }
  log.warn({ upPid, children: ours.map((r) => `${r.name}:${r.pid}`) }, `up pid ${upPid} died without stopping its children: stopping them`);
  const stuck = await stopLeftovers(ours, log);
  // up.json stays: the next `up` reads it, finds these pids gone (or names what is stuck) and goes on.
  if (stuck.length > 0) log.error({ stuck: stuck.map((r) => r.pid) }, 'some children would not stop; the next up will refuse until they are gone');
}
