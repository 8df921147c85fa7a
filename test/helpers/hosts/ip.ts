import { spawnSync } from 'node:child_process';
import { isAlive } from '../../../src/launcher/proc.js';
import { ipBinary } from './place.js';

/**
 * Synchronous `ip` calls. Synchronous on purpose: each takes a few milliseconds, and the harness must also tear
 * down from a process 'exit' handler, where nothing asynchronous runs.
 */

/** Runs `ip args`; throws with ip's own complaint. */
export function ip(args: string[]): string {
  const result = spawnSync(ipBinary(), args, { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) {
    const why = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim() || String(result.error ?? result.signal);
    throw new Error(`ip ${args.join(' ')}: ${why}`);
  }
  return result.stdout;
}

/** Runs `ip args`, ignoring a failure (deleting what may be gone already); true when it succeeded. */
export function ipQuiet(args: string[]): boolean {
  return spawnSync(ipBinary(), args, { encoding: 'utf8', timeout: 10_000 }).status === 0;
}

/** Names of the network namespaces in /run/netns. */
export function netnsNames(): string[] {
  // `ip -j netns list` prints nothing at all (not []) when there is none.
  const out = ip(['-j', 'netns', 'list']).trim();
  return out === '' ? [] : (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}

/** Names of the links of the root namespace (the test's). */
export function linkNames(): string[] {
  return (JSON.parse(ip(['-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);
}

/** IPv4 addresses of the root namespace, with the link that holds each. */
export function rootAddresses(): { link: string; address: string }[] {
  const links = JSON.parse(ip(['-j', '-4', 'addr', 'show'])) as { ifname: string; addr_info?: { local: string }[] }[];
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => ({ link: l.ifname, address: a.local })));
}

/**
 * Live pids inside a namespace ([] when it is gone). ip reads /proc/<pid>/ns/net, which a zombie no longer has:
 * a killed process counts as gone before its parent reaps it.
 */
export function netnsPids(netns: string): number[] {
  const result = spawnSync(ipBinary(), ['netns', 'pids', netns], { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) return [];
  return result.stdout.split('\n').filter((l) => l.trim() !== '').map(Number).filter((pid) => Number.isInteger(pid) && isAlive(pid));
}

/** Sleeps without the event loop (for the 'exit' handler's teardown). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Sends `signal` to every process in the namespace. SIGKILL is a power loss: every process is SIGSTOPped first
 * (repeated until no new one appears: one may fork meanwhile), so none sees another die and reacts (a
 * postmaster restarting its backends, a supervisor respawning), then all are SIGKILLed and waited for.
 * Returns the pids signalled.
 */
export function signalNetns(netns: string, signal: NodeJS.Signals, timeoutMs = 5000): number[] {
  if (signal !== 'SIGKILL') {
    const pids = netnsPids(netns);
    signalAll(pids, signal);
    return pids;
  }
  const seen = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = netnsPids(netns);
    if (pids.length === 0) return [...seen];
    if (Date.now() > deadline) throw new Error(`processes still alive in ${netns} after SIGKILL: ${pids.join(' ')}`);
    const fresh = pids.filter((p) => !seen.has(p));
    for (const pid of fresh) seen.add(pid);
    if (fresh.length > 0) {
      signalAll(fresh, 'SIGSTOP');
      continue; // list again: a process may have forked before it stopped
    }
    signalAll(pids, 'SIGKILL');
    sleepSync(10);
  }
}
