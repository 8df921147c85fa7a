import t from 'tap';
import { createServer, Socket, type Server } from 'node:net';
import type { Redis } from 'ioredis';
import { RedisServer } from '../helpers/redis-server.js';
import { freePort } from '../helpers/free-port.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { Outcome } from '../../src/redis/codes.js';
import { saleKeys } from '../../src/redis/keys.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { fieldsOf } from '../helpers/purchase-results.js';

/**
 * ioredis re-sends in-flight commands after a reconnect. Here a proxy lets reserve-batch reach Redis and
 * run, then cuts the connection instead of passing the reply on: ioredis reconnects and sends the same
 * batch again. The second run must return the first run's stored reply and take no second unit.
 */
const server = await RedisServer.start();
t.teardown(() => server.stop());

let dropNextReply = false;
let drops = 0;
const sockets = new Set<Socket>();
const proxyPort = await freePort();
const proxy: Server = createServer((client) => {
  const upstream = new Socket();
  sockets.add(client).add(upstream);
  upstream.connect(server.port, '127.0.0.1');
  client.on('data', (d) => upstream.write(d));
  upstream.on('data', (d) => {
    if (dropNextReply) {
      dropNextReply = false;
      drops++;
      client.destroy();
      upstream.destroy();
      return;
    }
    client.write(d);
  });
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
});
await new Promise<void>((res) => proxy.listen(proxyPort, '127.0.0.1', res));
t.teardown(() => {
  for (const s of sockets) s.destroy();
  proxy.close();
});

t.test('a batch whose reply was lost is re-sent by ioredis and answered from the stored result', async (t) => {
  const direct = (await connectRedisReady(server.url)) as Redis;
  const viaProxy = (await connectRedisReady(`redis://127.0.0.1:${proxyPort}`, { commandTimeoutMs: 3000 })) as Redis;
  t.teardown(() => {
    direct.disconnect();
    viaProxy.disconnect();
  });
  const admin = new SaleEngine(direct);
  const sale = 'resend';
  await admin.createSale({ id: sale, total: 10, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  const engine = new SaleEngine(viaProxy);
  await engine.status(sale); // the scripts are loaded on this socket

  const purchases = ['a', 'b', 'c'].map((user) => ({ orderId: newOrderId(sale), user }));
  const calls = async () => {
    const info = await direct.info('commandstats');
    return [...info.matchAll(/cmdstat_(eval|evalsha):calls=(\d+)/g)].reduce((n, m) => n + Number(m[2]), 0);
  };
  const before = await calls();
  dropNextReply = true;
  const reply = await engine.reserveBatch(sale, newBatchId(), purchases);
  t.equal(drops, 1, 'the first reply was cut off');
  t.equal((await calls()) - before, 2, 'reserve-batch ran twice: the original and the re-send');
  t.same(reply.results.map((r) => [r.outcome, fieldsOf(r).orderId, fieldsOf(r).replayed]), purchases.map((p) => [Outcome.Success, p.orderId, false]),
    'the reply is the first run\'s, verbatim (not a replay of each order)');
  t.equal(reply.remaining, 7, 'three units taken, once');
  t.equal((await direct.xlen(saleKeys(sale).stream)), 1, 'one stream entry');
  const audit = await admin.audit(sale);
  t.ok(audit.ok, audit.problems.join('; '));
  t.equal(audit.countedHeld, 3);
});
