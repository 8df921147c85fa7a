// Question: how many e-tickets a second can be signed in the piscina pool (as the node does, off the uWS
// thread) compared with signing on the calling thread itself (what the node must never do: each signature
// would hold up every purchase on that thread)? And what does a pool round trip add to one signature?
// The pool rows submit 64 tickets at once and wait for all (concurrent submissions, as under a wave of
// payments); the main-thread row signs one ticket per call with the same pure function the pool runs.
// Run: node --import tsx --conditions=ticket-spike-source bench/micro/ticket-sign.ts

import { Bench } from 'tinybench';
import { signTicket } from '../../src/tickets/format.js';
import { memoryKeySet, signingKey } from '../../src/tickets/keys.js';
import { TicketSigner } from '../../src/tickets/signer.js';
import { makeReport, printReport, writeReport, type Row } from './lib/harness.js';

const BATCH = 64;
const keys = memoryKeySet();
const key = signingKey(keys);
let n = 0;
const order = () => ({ id: `BENCH.order${n++}`, sale: 'BENCH', user: `user${n}`, paidAt: Date.now() });

const pools = [1, 2].map((threads) => ({ threads, signer: new TicketSigner(keys, { maxThreads: threads, maxQueue: 10_000 }) }));
// Start the pool threads before timing (thread start-up is not what is asked).
for (const { signer } of pools) await Promise.all(Array.from({ length: BATCH }, () => signer.sign(order())));

const bench = new Bench({ time: 1500, warmupTime: 200, iterations: 5, warmupIterations: 2, throws: true });
bench.add('main thread: signTicket, one at a time (blocks the event loop ~1 signature each)', () => {
  signTicket(order(), key);
});
for (const { threads, signer } of pools) {
  bench.add(`piscina pool, ${threads} thread${threads > 1 ? 's' : ''}: ${BATCH} concurrent sign() calls`, async () => {
    await Promise.all(Array.from({ length: BATCH }, () => signer.sign(order())));
  });
}
bench.add('piscina pool, 1 thread: one sign() awaited at a time (latency of one)', async () => {
  await pools[0].signer.sign(order());
});
await bench.run();
await Promise.all(pools.map(({ signer }) => signer.close()));

const perIteration = [1, BATCH, BATCH, 1];
const threadsOf = [1, 1, 2, 1];
const rows: Row[] = bench.tasks.map((task, i) => ({
  name: task.name,
  threads: threadsOf[i],
  opsPerIteration: perIteration[i],
  opsPerSec: (1000 * perIteration[i]) / task.result!.latency.mean,
  meanMs: task.result!.latency.mean,
  rme: task.result!.latency.rme,
  samples: task.result!.latency.samples.length,
}));
const report = makeReport('ticket-sign', 'E-tickets signed per second: in the piscina pool vs on the main thread', rows, [
  `tickets/s: ${rows.map((r) => `${r.name}: ${Math.round(r.opsPerSec)}`).join('; ')}`,
  `us per ticket: ${rows.map((r) => `${(1000 / r.opsPerSec * 1000).toFixed(1)}`).join(' / ')}`,
]);
printReport(report);
console.log(`wrote ${writeReport(report)}`);
