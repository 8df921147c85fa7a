import t from 'tap';
import { Redis, type Cluster } from 'ioredis';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { Outcome } from '../../src/redis/codes.js';
import { ReservationBatcher, type ReserveOutcome } from '../../src/sale/batcher.js';
import { saleTag } from '../../src/redis/keys.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';

const cluster = await RedisCluster.start();
t.teardown(() => cluster.stop());
const clients: (Redis | Cluster)[] = [];
t.teardown(() => clients.forEach((c) => c.disconnect()));
async function connect(): Promise<Cluster> {
  const c = (await connectRedisReady({ cluster: cluster.nodes })) as Cluster;
  clients.push(c);
  return c;
}

/** port of the master that owns a sale's hash tag, asked of Redis itself (CLUSTER KEYSLOT + CLUSTER SLOTS). */
async function ownerOf(sale: string): Promise<number> {
  const direct = new Redis(cluster.nodes[0].port, '127.0.0.1', { lazyConnect: true });
  try {
    await direct.connect();
    const slot = (await direct.call('CLUSTER', 'KEYSLOT', saleTag(sale))) as number;
    const ranges = (await direct.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const r = ranges.find(([lo, hi]) => slot >= lo && slot <= hi)!;
    return r[2][1];
  } finally {
    direct.disconnect();
  }
}

t.test('3-master cluster: sales on different masters keep every invariant', async (t) => {
  // pick three sales whose tags land on three different masters
  const byOwner = new Map<number, string>();
  for (let i = 0; byOwner.size < 3 && i < 200; i++) {
    const sale = `c${i}`;
    const port = await ownerOf(sale);
    if (!byOwner.has(port)) byOwner.set(port, sale);
  }
  t.equal(byOwner.size, 3, 'one sale per master');
  const sales = [...byOwner.values()];

  const admin = new SaleEngine(await connect());
  for (const id of sales) {
    t.equal(await admin.createSale({ id, total: 40, perUserLimit: 2, holdSeconds: 300, anonymous: false }), 'created');
  }
  t.same(await admin.listSales(), [...sales].sort());

  const batchers = await Promise.all([0, 1, 2].map(async (i) => new ReservationBatcher(new SaleEngine(await connect()), { maxBatch: 16 }, `c${i}`)));
  const calls: { sale: string; user: string; key?: string; r: Promise<ReserveOutcome> }[] = [];
  for (let i = 0; i < 900; i++) {
    const sale = sales[i % 3];
    const user = `u${(i * 7) % 50}`;
    const key = i % 4 === 0 ? `${user}-${i % 8}` : undefined;
    calls.push({ sale, user, key, r: batchers[i % 3].reserve(sale, { orderId: newOrderId(sale), user, idempotencyKey: key }) });
  }
  const results = await Promise.all(calls.map((c) => c.r));
  t.notOk(results.some((r) => r.outcome === 'unknown'), 'no unknown outcome');

  for (const sale of sales) {
    const mine = results.map((r, i) => ({ r, c: calls[i] })).filter((x) => x.c.sale === sale && x.r.outcome === Outcome.Success);
    const orders = new Map<string, string>();
    for (const { r, c } of mine) orders.set((r as { orderId: string }).orderId, c.user);
    t.equal(orders.size, 40, `${sale}: sold exactly its total`);
    const perUser = new Map<string, number>();
    for (const u of orders.values()) perUser.set(u, (perUser.get(u) ?? 0) + 1);
    t.ok([...perUser.values()].every((n) => n <= 2), `${sale}: nobody above the limit`);
    const first = [...orders.keys()][0];
    t.equal((await admin.pay(first)).status, 'paid');
    t.equal((await admin.cancel([...orders.keys()][1])).status, 'cancelled');
    t.match(await admin.status(sale), { total: 40, held: 38, paid: 1, remaining: 1 });
    t.same(await admin.expireDue(sale), { expired: 0, remaining: 1, more: false });
    const audit = await admin.audit(sale);
    t.ok(audit.ok, `${sale} audit: ${audit.problems.join('; ')}`);
    t.equal(audit.streamOrders, 40, `${sale}: every order on the stream once`);
  }
  // Each master really holds its own sale's keys.
  for (const [port, sale] of byOwner) {
    const direct = new Redis(port, '127.0.0.1');
    t.equal(await direct.exists(`${saleTag(sale)}:meta`), 1, `${sale} lives on :${port}`);
    direct.disconnect();
  }
  // SCRIPT FLUSH on every master: the next calls still succeed (ioredis re-sends the script per node).
  for (const { port } of cluster.nodes) {
    const direct = new Redis(port, '127.0.0.1');
    await direct.script('FLUSH');
    direct.disconnect();
  }
  for (const sale of sales) t.equal((await admin.status(sale))?.total, 40, `${sale}: status after SCRIPT FLUSH`);
  const more = await Promise.all(sales.map((sale) => batchers[0].reserve(sale, { orderId: newOrderId(sale), user: 'late' })));
  t.same(more.map((r) => r.outcome), [Outcome.Success, Outcome.Success, Outcome.Success], 'the units returned by cancel sell again');

  // A buyer's key names one purchase across sales, although the claim lives in another slot than either sale.
  for (const id of ['XS1', 'XS2']) await admin.createSale({ id, total: 5, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  const first = await admin.reserveBatch('XS1', newBatchId(), [{ orderId: newOrderId('XS1'), user: 'kx', idempotencyKey: 'K' }]);
  t.equal(first.results[0].outcome, Outcome.Success);
  const second = await admin.reserveBatch('XS2', newBatchId(), [
    { orderId: newOrderId('XS2'), user: 'kx', idempotencyKey: 'K' },
    { orderId: newOrderId('XS2'), user: 'ky', idempotencyKey: 'K' },
  ]);
  t.match(second.results, [{ outcome: Outcome.IdempotencyMismatch, otherSale: 'XS1' }, { outcome: Outcome.Success }], "on Cluster too: kx's K in XS2 is refused, ky's K is ky's");
  t.equal((await admin.status('XS2'))?.held, 1, 'the refused purchase took nothing');
  // A key refused for stock names nothing: its claim, taken before the script (another slot), is let go after it.
  await admin.createSale({ id: 'XS3', total: 1, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  await admin.reserveBatch('XS3', newBatchId(), [{ orderId: newOrderId('XS3'), user: 'first' }]);
  const soldOut = await admin.reserveBatch('XS3', newBatchId(), [{ orderId: newOrderId('XS3'), user: 'kq', idempotencyKey: 'KQ' }]);
  t.equal(soldOut.results[0].outcome, Outcome.SoldOut);
  const elsewhere = await admin.reserveBatch('XS2', newBatchId(), [{ orderId: newOrderId('XS2'), user: 'kq', idempotencyKey: 'KQ' }]);
  t.match(elsewhere.results[0], { outcome: Outcome.Success, replayed: false }, 'on Cluster: the key refused in XS3 buys in XS2');
  // Nor does a new key that found the user's order by name (limit 1): kx holds one in XS1, so KN bought nothing there.
  const byName = await admin.reserveBatch('XS1', newBatchId(), [{ orderId: newOrderId('XS1'), user: 'kx', idempotencyKey: 'KN' }]);
  t.match(byName.results[0], { outcome: Outcome.Success, replayed: true, byUser: true }, "kx's order found by name");
  const afterName = await admin.reserveBatch('XS3', newBatchId(), [{ orderId: newOrderId('XS3'), user: 'kx', idempotencyKey: 'KN' }]);
  t.match(afterName.results[0], { outcome: Outcome.SoldOut }, 'on Cluster: KN is free for another sale (sold out there, not 422)');
});
