import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What /proc says about one pid. A zombie counts as gone: it has closed its files and ports (Redis's AOF is
 * flushed), and under a parent that never reaps (pid 1 in some containers) it would otherwise look alive
 * forever.
 */
export interface ProcInfo {
  alive: boolean;
  /** argv as the process shows it now, NULs as spaces ('' when gone). Redis and nginx rewrite theirs. */
  cmdline: string;
}

export function procInfo(pid: number): ProcInfo {
  if (!Number.isInteger(pid) || pid <= 0) return { alive: false, cmdline: '' };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return { alive: false, cmdline: '' };
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+/g, ' ').trim();
    return { alive: true, cmdline };
  } catch {
    return { alive: false, cmdline: '' };
  }
}

/** True while the pid names a live, non-zombie process. */
export function isAlive(pid: number): boolean {
  return procInfo(pid).alive;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * True when every fragment appears in the command line as whole words: bounded by the start, the end,
 * whitespace or (on the left) a slash, so `redis-server` matches `/usr/bin/redis-server` and `:6380`-style
 * fragments never match a longer port (`127.0.0.1:6380` is not in `127.0.0.1:63801`).
 */
export function cmdlineMatches(cmdline: string, fragments: readonly string[]): boolean {
  if (fragments.length === 0 || cmdline === '') return false;
  return fragments.every((f) => f !== '' && new RegExp(`(?:^|[\\s/])${escapeRegExp(f)}(?=\\s|$)`).test(cmdline));
}

/** Sends a signal; false when the process is gone (or not ours to signal). */
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Polls until the pid is gone (or a zombie); true when it went within timeoutMs. */
export async function waitGone(pid: number, timeoutMs: number, stepMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(pid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(stepMs);
  }
}
