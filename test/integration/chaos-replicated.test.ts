// Issue 19, the chaos suite on a replicated Redis (a master, two replicas, three Sentinels; nodes confirm a write
// once both replicas have it): the master SIGKILLed, SIGSTOPped past the Sentinels' down-after and resumed, switched
// on purpose (SENTINEL FAILOVER), a replica killed — each alone, seeded, under paced load through real nginx and
// nodes, then the auditor: every confirmed order and payment is on the master at the end, no seat sold twice,
// no "sold out" while stock remained (once the nodes re-read the new master), the audit closes.
// Why both replicas: with --confirm-replicas 1 a planned failover lost confirmed orders here (`npm run chaos --
// --replicated --faults planned-failover --seed 2 --seconds 8`: 94 orders confirmed and gone) — the old master goes
// on taking writes for a moment after a replica was promoted, and the replica still following it confirms them.
// That loss depends on timing; test/integration/confirmed-writes.test.ts proves the rule itself deterministically.
import t from 'tap';
import { runChaos, startChaosCluster } from '../chaos/chaos.js';
import { MASTER_CHANGES, REPLICATED_FAULTS } from '../chaos/faults.js';

const SEED = 20261206;
const FAULTS = REPLICATED_FAULTS.filter((f) => MASTER_CHANGES.has(f) || f === 'replica-kill');

t.test('every replicated fault alone keeps every invariant', { timeout: 300_000 }, async (t) => {
  const cluster = await startChaosCluster(2, true);
  t.teardown(() => cluster.stop());
  for (const [i, fault] of FAULTS.entries()) {
    const result = await runChaos({ seed: SEED + i, seconds: 5, faults: [fault], total: 200, nodes: 2, workers: 10, cluster });
    const summary = `${result.attempts} requests ${JSON.stringify(result.counts)}; ${result.faults.map((f) => f.detail).join('; ')}`;
    t.same(result.violations, [], `${fault} (seed ${SEED + i}): ${summary}`);
    t.ok(result.faults.some((f) => f.fault === fault), `${fault} was injected`);
    t.equal(result.final.held + result.final.paid, result.final.total, `${fault}: the sale sold out exactly`);
  }
});
