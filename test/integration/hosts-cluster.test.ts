// Issue 20, the Redis Cluster layout across hosts: three app hosts (network namespaces), each with one master and
// one replica of another host's master, so no host holds both copies of a shard. Purchases confirm per shard once
// that shard's replica has them (issue 19's rule). One host loses power: the shard whose master was on it fails over
// to its replica on another host, and every purchase that was confirmed there is still there; shards whose two
// copies are on the other hosts go on confirming; a shard that lost a copy confirms again once the host is back.
import t from 'tap';
import type { Cluster } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { EngineError, Outcome } from '../../src/redis/codes.js';
import { saleKeys, saleTag } from '../../src/redis/keys.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { Hosts, hostsAvailable } from '../helpers/hosts.js';
import { RedisCluster } from '../helpers/redis-cluster.js';

const APPS = ['app1', 'app2', 'app3'];
const available = hostsAvailable();

interface Shard {
  slots: [number, number][];
  master: string;
  replica: string;
}

/** CLUSTER SHARDS as master and replica addresses per slot range (nodes that failed are left out). */
async function shardsOf(client: Cluster): Promise<Shard[]> {
  const raw = (await client.call('CLUSTER', 'SHARDS')) as [string, number[], string, string[][]][];
  return raw.map((shard) => {
    const slots: [number, number][] = [];
    for (let i = 0; i < shard[1].length; i += 2) slots.push([shard[1][i], shard[1][i + 1]]);
    const nodes = shard[3].map((node) => {
      const f = new Map<string, string>();
      for (let i = 0; i < node.length; i += 2) f.set(String(node[i]), String(node[i + 1]));
      return f;
    });
    // Redis 7.0 reports a replica whose offset is still 0 as health "loading": only "fail" is a node that is gone.
    const address = (role: string) => nodes.find((n) => n.get('role') === role && n.get('health') !== 'fail')?.get('ip') ?? '';
    return { slots, master: address('master'), replica: address('replica') };
  });
}

t.test('a Cluster spread over hosts keeps every confirmed purchase through a host power loss', { skip: available.ok ? false : available.reason }, async (t) => {
  t.setTimeout(180_000);
  const hosts = await Hosts.create({ names: APPS });
  t.teardown(() => hosts.destroy());
  const cluster = await RedisCluster.start(3, 1, APPS.map((name) => hosts.place(name)));
  t.teardown(() => cluster.stop());
  const client = (await connectRedisReady({ cluster: cluster.nodes }, { commandTimeoutMs: 3000 })) as Cluster;
  t.teardown(() => client.disconnect());
  const engine = new SaleEngine(client, { confirm: { replicas: 1, timeoutMs: 500 } });

  const shards = await shardsOf(client);
  t.equal(shards.length, 3, 'three shards');
  t.ok(shards.every((s) => s.master !== '' && s.replica !== '' && s.master !== s.replica), 'each shard: master and replica on different hosts', { shards });

  // One sale per shard: the first id whose hash tag falls in its slots.
  const slotOf = async (sale: string) => Number(await client.call('CLUSTER', 'KEYSLOT', `${saleTag(sale)}:meta`));
  const shardIn = (list: Shard[], slot: number) => list.findIndex((s) => s.slots.some(([a, b]) => slot >= a && slot <= b));
  const shardOf = (slot: number) => shardIn(shards, slot);
  const sales: string[] = ['', '', ''];
  for (let i = 0; sales.includes('') && i < 500; i++) {
    const shard = shardOf(await slotOf(`HC${i}`));
    if (sales[shard] === '') sales[shard] = `HC${i}`;
  }
  for (const id of sales) await engine.createSale({ id, total: 1000, perUserLimit: 1, holdSeconds: 3600, anonymous: false });
  let n = 0;
  const buy = (sale: string) => engine.reserveBatch(sale, newBatchId(), [{ orderId: newOrderId(sale), user: `u${n++}` }]);
  const confirmed: { sale: string; orderId: string }[] = [];
  for (const sale of sales) {
    for (let i = 0; i < 20; i++) {
      const r = (await buy(sale)).results[0];
      if (r.outcome === Outcome.Success) confirmed.push({ sale, orderId: r.orderId });
    }
  }
  t.equal(confirmed.length, 60, 'every purchase confirmed while every host is up');

  // app1 loses power: one shard's master, another shard's replica.
  const lost = hosts.address('app1');
  const hitMaster = shards.findIndex((s) => s.master === lost);
  const hitReplica = shards.findIndex((s) => s.replica === lost);
  const untouched = [0, 1, 2].find((i) => i !== hitMaster && i !== hitReplica)!;
  await hosts.killAll('app1');
  const cutAt = Date.now();
  let promoted = '';
  for (let i = 0; i < 150 && (promoted === '' || promoted === lost); i++) {
    await sleep(100);
    // The order of CLUSTER SHARDS may change: the shard is the one serving the same slots.
    promoted = await shardsOf(client).then((now) => now[shardIn(now, shards[hitMaster].slots[0][0])]?.master ?? '', () => '');
  }
  t.not(promoted, lost, `the shard whose master was on app1 has a new master (${promoted}) after ${Date.now() - cutAt} ms`);

  // Its replica was promoted with every confirmed write: nothing confirmed is missing, anywhere.
  let missing: string[] = [];
  for (let i = 0; i < 50; i++) {
    missing = [];
    try {
      for (const c of confirmed) if ((await client.hexists(saleKeys(c.sale).orders, c.orderId)) !== 1) missing.push(c.orderId);
      break;
    } catch {
      await sleep(200); // the client still finding the new master
    }
  }
  t.same(missing, [], 'every purchase confirmed before the power loss is on the shards that serve the sale now');

  const settle = async (sale: string, want: 'confirmed' | 'refused'): Promise<string> => {
    let last = '';
    for (let i = 0; i < 100; i++) {
      try {
        const r = (await buy(sale)).results[0];
        last = String(r.outcome);
        if (want === 'confirmed' && r.outcome === Outcome.Success) return 'confirmed';
      } catch (err) {
        last = err instanceof EngineError ? err.code : (err as Error).message;
        if (want === 'refused' && last === 'ERR_NOT_REPLICATED') return 'refused';
      }
      await sleep(200);
    }
    return last;
  };
  t.equal(await settle(sales[untouched], 'confirmed'), 'confirmed', 'the shard with both copies on other hosts goes on confirming');
  t.equal(await settle(sales[hitReplica], 'refused'), 'refused', 'a shard that lost its replica confirms nothing (503 to buyers)');

  // app1 comes back: its nodes rejoin from their nodes.conf, as replicas; every shard confirms again.
  for (const [i] of cluster.ports.entries()) if (cluster.addressOf(i) === lost) await cluster.restart(i);
  for (const shard of [hitMaster, hitReplica]) t.equal(await settle(sales[shard], 'confirmed'), 'confirmed', `shard ${shard} confirms again with app1 back`);
});
