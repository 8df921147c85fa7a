// Redis does not roll back a script that stops halfway, so every script reads and checks everything before
// its first write. Each case feeds a script something it cannot use mid-batch and finds every key of Redis
// byte-identical afterwards (DUMP).
import t from 'tap';
import type { Redis } from 'ioredis';
import { connectRedisReady } from '../../src/redis/connection.js';
import { paymentSignatureKey, saleKeys } from '../../src/redis/keys.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { RedisServer } from '../helpers/redis-server.js';
import { orderIdOf } from '../helpers/purchase-results.js';

async function everything(redis: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of (await redis.keys('*')).sort()) out.set(key, ((await redis.dumpBuffer(key)) ?? Buffer.alloc(0)).toString('base64'));
  return out;
}

t.test('a script that meets a corrupt entry or a wrong-typed key writes nothing', async (t) => {
  const server = await RedisServer.start();
  t.teardown(() => server.stop());
  const redis = (await connectRedisReady(server.url)) as Redis;
  t.teardown(() => redis.disconnect());
  const engine = new SaleEngine(redis);

  t.test('reserve-batch: a replay of a corrupt order in the middle of a batch', async (t) => {
    await engine.createSale({ id: 'CX', total: 10, perUserLimit: 5, holdSeconds: 600, anonymous: false });
    const first = await engine.reserveBatch('CX', newBatchId(), [{ orderId: newOrderId('CX'), user: 'a', idempotencyKey: 'KA' }]);
    const corrupt = orderIdOf(first.results[0]);
    await redis.hset(saleKeys('CX').orders, corrupt, 'held|not-a-number');
    const before = await everything(redis);
    await t.rejects(
      engine.reserveBatch('CX', newBatchId(), [
        { orderId: newOrderId('CX'), user: 'b', idempotencyKey: 'KB' }, // a new hold and a new key claim
        { orderId: newOrderId('CX'), user: 'a', idempotencyKey: 'KA' }, // replays the corrupt order
        { orderId: newOrderId('CX'), user: 'c' },
      ]),
      /cannot be read/,
    );
    t.same(await everything(redis), before, 'no hold, no claim, no counter, no stream entry: every key as it was');
  });

  t.test('reserve-batch: a key of the wrong type is found before the units are taken', async (t) => {
    await engine.createSale({ id: 'CY', total: 10, perUserLimit: 5, holdSeconds: 600, anonymous: false });
    await redis.set(saleKeys('CY').stream, 'not a stream');
    const before = await everything(redis);
    await t.rejects(engine.reserveBatch('CY', newBatchId(), [{ orderId: newOrderId('CY'), user: 'd' }]), { code: 'ERR_INVALID_ARGUMENT' });
    t.same(await everything(redis), before, 'held is still 0 and no order was written');
  });

  t.test('retire-orders: a corrupt order among final ones; pay and trim with a wrong-typed key', async (t) => {
    await engine.createSale({ id: 'CR', total: 10, perUserLimit: 5, holdSeconds: 600, anonymous: false });
    const r = await engine.reserveBatch('CR', newBatchId(), ['a', 'b', 'c'].map((user) => ({ orderId: newOrderId('CR'), user, idempotencyKey: `CR-${user}` })));
    const [a, b, c] = r.results.map((x) => orderIdOf(x)) as [string, string, string];
    await engine.pay(a);
    await engine.cancel(c);
    await redis.hset(saleKeys('CR').orders, b, 'paid|x');
    let before = await everything(redis);
    await t.rejects(engine.retireOrders('CR', [a, b, c], 0), { code: 'ERR_INVALID_ARGUMENT' });
    t.same(await everything(redis), before, 'the paid order before it is still there, no counter, no idempotency record dropped');
    await redis.del(saleKeys('CR').orders);
    const d = orderIdOf((await engine.reserveBatch('CR', newBatchId(), [{ orderId: newOrderId('CR'), user: 'd' }])).results[0]);
    await redis.del(saleKeys('CR').stream);
    await redis.set(saleKeys('CR').stream, 'not a stream');
    before = await everything(redis);
    await t.rejects(engine.pay(d), { code: 'ERR_INVALID_ARGUMENT' });
    await t.rejects(engine.cancel(d), { code: 'ERR_INVALID_ARGUMENT' });
    await t.rejects(engine.trimStream('CR', '1-0'), { code: 'ERR_INVALID_ARGUMENT' });
    t.same(await everything(redis), before, 'held and paid unchanged: the event could not be appended, so nothing was');
  });

  t.test('pay with a wrong-typed signature record, check-in with a wrong-typed check-ins hash: nothing written', async (t) => {
    await engine.createSale({ id: 'CP', total: 10, perUserLimit: 5, holdSeconds: 600, anonymous: false });
    const r = await engine.reserveBatch('CP', newBatchId(), ['a', 'b'].map((user) => ({ orderId: newOrderId('CP'), user })));
    const [a, b] = r.results.map((x) => orderIdOf(x)) as [string, string];
    const sig = 'f'.repeat(64);
    await redis.hset(paymentSignatureKey('CP', sig), 'x', 'a hash, not the string a record is');
    let before = await everything(redis);
    await t.rejects(engine.pay(a, sig), { code: 'ERR_INVALID_ARGUMENT' });
    t.same(await everything(redis), before, 'the hold is not paid: the signature could not have been recorded with it');
    await engine.pay(b);
    await redis.set(saleKeys('CP').checkins, 'not a hash');
    before = await everything(redis);
    await t.rejects(engine.checkIn((await engine.getOrder(b))!, 'G1'), { code: 'ERR_INVALID_ARGUMENT' });
    t.same(await everything(redis), before, 'no check-in counted, no stream entry');
  });

  t.test('expire-holds: a corrupt order in a later due batch', async (t) => {
    await engine.createSale({ id: 'CZ', total: 10, perUserLimit: 5, holdSeconds: 1, anonymous: true });
    await engine.reserveBatch('CZ', newBatchId(), [{ orderId: newOrderId('CZ'), user: '' }, { orderId: newOrderId('CZ'), user: '' }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await engine.reserveBatch('CZ', newBatchId(), [{ orderId: newOrderId('CZ'), user: '' }, { orderId: newOrderId('CZ'), user: '' }]);
    await redis.hset(saleKeys('CZ').orders, orderIdOf(second.results[1]), 'held|x');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = await everything(redis);
    await t.rejects(engine.expireDue('CZ'), { code: 'ERR_INVALID_ARGUMENT' });
    t.same(await everything(redis), before, "the first batch's holds were not released, its deadline not removed");
    await redis.hset(saleKeys('CZ').orders, orderIdOf(second.results[1]), (await redis.hget(saleKeys('CZ').orders, orderIdOf(second.results[0])))!);
    t.match(await engine.expireDue('CZ'), { expired: 4 }, 'once the record is repaired, all four holds are released');
  });
});
