// Issue 19 on Redis Cluster: each master with a replica, the confirmation rule per shard. The WAIT after a script
// goes to the shard that ran it (one pipeline, routed by the script's keys), so a purchase in a sale whose shard's
// replica does not answer is not confirmed (ERR_NOT_REPLICATED), while a sale on another shard still is.
import t from 'tap';
import type { Cluster } from 'ioredis';
import { connectRedisReady } from '../../src/redis/connection.js';
import { Outcome } from '../../src/redis/codes.js';
import { saleTag } from '../../src/redis/keys.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { RedisCluster } from '../helpers/redis-cluster.js';

t.test('a Cluster whose masters each have a replica confirms per shard', { timeout: 90_000 }, async (t) => {
  const cluster = await RedisCluster.start(3, 1);
  t.teardown(() => cluster.stop());
  const client = (await connectRedisReady({ cluster: cluster.nodes }, { commandTimeoutMs: 5000 })) as Cluster;
  t.teardown(() => client.disconnect());
  const engine = new SaleEngine(client, { confirm: { replicas: 1, timeoutMs: 500 } });
  // Two sales on different shards: the slot of each sale's hash tag, and the replica that serves it.
  const slotOf = async (sale: string) => Number(await client.call('CLUSTER', 'KEYSLOT', `${saleTag(sale)}:meta`));
  const shards = (await client.call('CLUSTER', 'SHARDS')) as unknown[];
  const replicaFor = (slot: number): number => {
    for (const shard of shards as Array<[string, number[], string, Array<string[] | Record<string, unknown>>]>) {
      const slots = shard[1];
      let owns = false;
      for (let i = 0; i < slots.length; i += 2) if (slot >= slots[i] && slot <= slots[i + 1]) owns = true;
      if (!owns) continue;
      for (const node of shard[3] as string[][]) {
        const fields = new Map<string, string>();
        for (let i = 0; i < node.length; i += 2) fields.set(String(node[i]), String(node[i + 1]));
        if (fields.get('role') === 'replica') return Number(fields.get('port'));
      }
    }
    throw new Error(`no replica serves slot ${slot}`);
  };
  let other = 'B0';
  for (let i = 0; i < 50 && replicaFor(await slotOf(other)) === replicaFor(await slotOf('A')); i++) other = `B${i + 1}`;
  for (const id of ['A', other]) await engine.createSale({ id, total: 10, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  const buy = (sale: string, user: string) => engine.reserveBatch(sale, newBatchId(), [{ orderId: newOrderId(sale), user }]);
  t.match((await buy('A', 'a1')).results[0], { outcome: Outcome.Success }, 'both shards replicating: confirmed');

  const replicaOfA = replicaFor(await slotOf('A'));
  const pid = cluster.pidOf(replicaOfA)!;
  process.kill(pid, 'SIGSTOP');
  t.teardown(() => process.kill(pid, 'SIGCONT'));
  await t.rejects(buy('A', 'a2'), { code: 'ERR_NOT_REPLICATED' }, "sale A's shard replica stopped: not confirmed");
  t.match((await buy(other, 'b1')).results[0], { outcome: Outcome.Success }, `sale ${other} on another shard: confirmed`);
  process.kill(pid, 'SIGCONT');
  t.match((await buy('A', 'a2')).results[0], { outcome: Outcome.Success, replayed: true }, 'the replica back: the retry confirms the same purchase');
});
