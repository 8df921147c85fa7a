import type { Test } from 'tap';
import { hostsAvailable } from '../helpers/hosts.js';
import { runChaos, startChaosCluster } from './chaos.js';
import type { Fault } from './faults.js';

/**
 * Issue 20's multi-host test (test/integration/hosts-chaos.test.ts):
 * the layout across hosts (test/chaos/hosts-layout.ts: a front host, three app hosts with a node, a Redis data node
 * and a Sentinel each, a database host with PostgreSQL and the order worker), buyers over the network through the
 * front host, each fault alone and seeded, then the auditor and PostgreSQL's agreement. Skipped, with the reason,
 * only where network namespaces cannot be made (not root, no `ip`).
 */
export function hostFaultsTest(t: Test, faults: { fault: Fault; cutSeconds: number }[], seed: number): void {
  const available = hostsAvailable();
  t.test(`${faults.map((f) => f.fault).join(', ')} across hosts, each alone, keep every invariant`, { skip: available.ok ? false : available.reason }, async (t) => {
    t.setTimeout(300_000);
    const cluster = await startChaosCluster(3, false, true);
    t.teardown(() => cluster.stop());
    for (const [i, { fault, cutSeconds }] of faults.entries()) {
      const result = await runChaos({ seed: seed + i, seconds: 4, faults: [fault], total: 150, nodes: 3, workers: 8, cluster, cutSeconds });
      const summary = `${result.attempts} requests ${JSON.stringify(result.counts)}; ${result.faults.map((f) => f.detail).join('; ')}`;
      t.same(result.violations, [], `${fault} (seed ${seed + i}): ${summary}`, result.violations.length > 0 ? { workerLog: cluster.hosts().workerOutput().slice(-3000) } : {});
      t.ok(result.faults.some((f) => f.fault === fault), `${fault} was injected`);
      t.equal(result.final.held + result.final.paid, result.final.total, `${fault}: the sale sold out exactly`);
    }
  });
}
