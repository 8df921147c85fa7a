import { isAlive } from '../../../src/launcher/proc.js';
import { ipQuiet, linkNames, netnsNames, signalNetns, sleepSync } from './ip.js';
import { linkInstance, netnsInstance, probePid } from './names.js';

/**
 * Removes everything of instance `index`, found by name (not from memory: the same code reaps a crashed run):
 * SIGKILL every process in its namespaces (they live only there), then the veths, the namespaces, the bridge.
 * Only the claim's holder calls it (claim.ts). Returns what it removed.
 */
export function removeInstance(index: number): string[] {
  const namespaces = netnsNames().filter((n) => netnsInstance(n) === index);
  for (const netns of namespaces) signalNetns(netns, 'SIGKILL');
  const links = linkNames().filter((l) => linkInstance(l) === index);
  // The veths first, by their root end (that deletes both ends): `ip netns del` only unmounts the name, and the
  // kernel frees the namespace — and the veth in it — a little later, asynchronously; an explicit delete is gone
  // when ip returns, so the next create of this index never meets a half-dead tsh<index>h0.
  for (const link of links.filter((l) => !l.endsWith('br'))) ipQuiet(['link', 'del', link]);
  for (const netns of namespaces) ipQuiet(['netns', 'del', netns]);
  for (const link of links.filter((l) => l.endsWith('br'))) ipQuiet(['link', 'del', link]);
  waitLinksGone(index);
  return [...namespaces, ...links];
}

function waitLinksGone(index: number): void {
  const deadline = Date.now() + 5000;
  for (;;) {
    const left = linkNames().filter((l) => linkInstance(l) === index);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`links of harness instance ${index} still there: ${left.join(' ')}`);
    for (const link of left) ipQuiet(['link', 'del', link]);
    sleepSync(20);
  }
}

/** Removes what a Hosts.available() probe of a dead process left (tshp<pid>). */
export function removeDeadProbes(): string[] {
  const removed: string[] = [];
  for (const netns of netnsNames()) {
    const pid = probePid(netns);
    if (pid !== undefined && !isAlive(pid) && ipQuiet(['netns', 'del', netns])) removed.push(netns);
  }
  for (const link of linkNames()) {
    const pid = probePid(link);
    if (pid !== undefined && !isAlive(pid) && ipQuiet(['link', 'del', link])) removed.push(link);
  }
  return removed;
}
