// The short chaos suite: each fault of `npm run chaos`, alone, seeded, a few seconds under paced load
// through real nginx, nodes and Redis, then the auditor (test/chaos/auditor.ts) checks the invariants from
// what buyers saw and what Redis holds. A broken build (test/chaos/mutants/*.patch) fails here too.
import t from 'tap';
import { runChaos, startChaosCluster } from '../chaos/chaos.js';
import { FAULTS } from '../chaos/faults.js';

const SEED = 20261125;

t.test('every fault alone keeps every invariant', { timeout: 240_000 }, async (t) => {
  const cluster = await startChaosCluster(3);
  t.teardown(() => cluster.stop());
  for (const [i, fault] of FAULTS.entries()) {
    // Idle keep-alive reuse needs one 11-15 s silence inside the run.
    const seconds = fault === 'idle-reuse' ? 17 : 3;
    const result = await runChaos({ seed: SEED + i, seconds, faults: [fault], total: seconds * 40, nodes: 3, workers: 12, cluster });
    const summary = `${result.attempts} requests ${JSON.stringify(result.counts)}; ${result.faults.map((f) => f.detail).join('; ')}`;
    t.same(result.violations, [], `${fault} (seed ${SEED + i}): ${summary}`);
    t.ok(result.faults.some((f) => f.fault === fault), `${fault} was injected`);
    t.equal(result.final.held + result.final.paid, result.final.total, `${fault}: the sale sold out exactly`);
    if (fault === 'idle-reuse') t.ok(result.idleReuses > 0, `a purchase went over a connection left idle 11-15 s (${result.idleReuses})`);
  }
});
