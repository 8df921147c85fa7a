// Issue 19: with replicas, a write is confirmed only once they have it (WAIT after the script, on the same
// connection). A replica that does not answer (SIGSTOP) makes a purchase, a pay and a sale's creation
// ERR_NOT_REPLICATED — an unknown outcome — and the pitfall: a retry on ANOTHER connection that finds the order
// (a replay, a script that writes nothing) must not confirm it either while it is not replicated; once the
// replica is back, the same retry confirms the same order. Without confirmation the same purchase "succeeds"
// with the replica stopped: what the rule closes.
import t from 'tap';
import type { Redis } from 'ioredis';
import { connectRedisReady } from '../../src/redis/connection.js';
import { Outcome } from '../../src/redis/codes.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { orderIdOf, fieldsOf } from '../helpers/purchase-results.js';
import { SentinelGroup } from '../helpers/redis-sentinel-group.js';
import { PostgresServer } from '../helpers/postgres-server.js';
import { WorkerProcess } from '../helpers/worker-process.js';
import { createPool } from '../../src/store/connection.js';
import { setTimeout as sleep } from 'node:timers/promises';

const group = await SentinelGroup.start({ replicas: 2, sentinels: 0, args: ['--appendfsync', 'no'] });
t.teardown(() => group.stop());
const [master, replicaA] = group.nodes;
const connect = async () => (await connectRedisReady(master.url, { commandTimeoutMs: 3000 })) as Redis;
const [first, second, plainClient] = await Promise.all([connect(), connect(), connect()]);
t.teardown(() => [first, second, plainClient].forEach((c) => c.disconnect()));
const confirm = { replicas: 2, timeoutMs: 1000 };
const engine = new SaleEngine(first, { confirm });
const retrier = new SaleEngine(second, { confirm });
const plain = new SaleEngine(plainClient);

const stopReplica = () => process.kill(replicaA.pid!, 'SIGSTOP');
const resumeReplica = async () => {
  process.kill(replicaA.pid!, 'SIGCONT');
  await group.waitInSync();
};
t.teardown(() => {
  if (replicaA.pid !== undefined) process.kill(replicaA.pid, 'SIGCONT');
});
const purchase = (user: string, key: string) => ({ orderId: newOrderId('CW'), user, idempotencyKey: key });

t.test('both replicas answer: confirmed as before', async (t) => {
  t.equal(await engine.createSale({ id: 'CW', total: 10, perUserLimit: 1, holdSeconds: 300, anonymous: false }), 'created');
  const r = await engine.reserveBatch('CW', newBatchId(), [purchase('ann', 'KA')]);
  t.match(r.results[0], { outcome: Outcome.Success, replayed: false });
});

t.test('a replica stopped: a purchase is not confirmed, and neither is its replay on another connection', async (t) => {
  stopReplica();
  const p = purchase('bob', 'KB');
  await t.rejects(engine.reserveBatch('CW', newBatchId(), [p]), { code: 'ERR_NOT_REPLICATED' }, 'the purchase: an unknown outcome');
  t.equal((await plain.status('CW'))?.held, 2, 'it is on the master (held 2), not on both replicas');
  await t.rejects(
    retrier.reserveBatch('CW', newBatchId(), [purchase('bob', 'KB')]),
    { code: 'ERR_NOT_REPLICATED' },
    "bob's retry on another connection finds his order (a script that writes nothing) and still does not confirm it",
  );
  const unconfirmed = await plain.reserveBatch('CW', newBatchId(), [purchase('cy', 'KC')]);
  t.match(unconfirmed.results[0], { outcome: Outcome.Success }, 'without confirmation the same kind of purchase "succeeds" now: what the rule closes');
  await t.rejects(engine.pay(orderIdOf(unconfirmed.results[0])), { code: 'ERR_NOT_REPLICATED' }, 'pay: not confirmed either');
  await t.rejects(engine.createSale({ id: 'CW2', total: 5, perUserLimit: 1, holdSeconds: 300, anonymous: false }), { code: 'ERR_NOT_REPLICATED' }, 'nor a new sale');
  await resumeReplica();
  const again = await retrier.reserveBatch('CW', newBatchId(), [purchase('bob', 'KB')]);
  t.match(fieldsOf(again.results[0]), { outcome: Outcome.Success, replayed: true }, 'the replica back: the retry confirms his order, the same one');
  t.equal(fieldsOf(again.results[0]).orderId, p.orderId);
  t.match(await engine.pay(orderIdOf(unconfirmed.results[0])), { status: 'paid' }, 'the pay retried: paid');
  t.match(await engine.createSale({ id: 'CW2', total: 5, perUserLimit: 1, holdSeconds: 300, anonymous: false }), /^(created|exists)$/, 'the create retried: done');
  t.equal((await plain.status('CW2'))?.total, 5, 'the sale is there');
});

t.test('the order worker carries an order into PostgreSQL only once the replicas have it', async (t) => {
  const pg = await PostgresServer.start();
  t.teardown(() => pg.stop());
  const worker = WorkerProcess.start(master.url, pg.url, ['--idle-ms', '20', '--confirm-replicas', '2', '--confirm-timeout-ms', '300']);
  t.teardown(() => worker.kill('SIGTERM'));
  const pool = createPool(pg.url);
  t.teardown(() => pool.end());
  const stored = async (orderId: string) => {
    try {
      return (await pool.query('select 1 from orders where order_id = $1', [orderId])).rows.length === 1;
    } catch {
      return false; // the worker has not migrated the schema yet
    }
  };
  const waitStored = async (orderId: string, ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (await stored(orderId)) return true;
    return false;
  };
  const first = orderIdOf((await plain.reserveBatch('CW', newBatchId(), [purchase('dan', 'KD')])).results[0]);
  t.ok(await waitStored(first, 30_000), 'replicas answering: the order reaches PostgreSQL');
  stopReplica();
  const second = orderIdOf((await plain.reserveBatch('CW', newBatchId(), [purchase('eli', 'KE')])).results[0]);
  // The event to wait for: the worker read the entry and WAIT refused it (its warning), not a length of time.
  let refused = false;
  for (const end = Date.now() + 30_000; Date.now() < end && !refused; await sleep(50)) refused = /of 2 replicas within 300 ms; kept pending/.test(worker.output);
  t.ok(refused, 'the worker read the new entry and was told the replicas do not have it');
  t.notOk(await stored(second), 'a replica stopped: the order made meanwhile is kept out of PostgreSQL');
  await resumeReplica();
  t.ok(await waitStored(second, 30_000), 'the replica back: it arrives');
});
