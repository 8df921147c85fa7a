// Issue 18: the cost of keeping a sold-out node's "who may hold something" current does not grow with the
// orders that are over. Against a real Redis: reserve-batch appends each new hold's user and record field to the
// sale's holder log (replays and refusals append nothing); a node's first sync reads the log once, and when holds
// expire and are bought again the re-sync reads only the new holds (counted in entries, not timed); a sale made
// before the log is read once from its holders and records, then from the log.
import t from 'tap';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { HolderSync } from '../../src/node/main/holder-sync.js';
import { readFacts } from '../../src/node/main/facts.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { Outcome } from '../../src/redis/codes.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { HolderFilter } from '../../src/sale/holder-filter.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import type { PurchaseRequest } from '../../src/sale/types.js';
import { orderIdOf } from '../helpers/purchase-results.js';
import { RedisServer } from '../helpers/redis-server.js';

const server = await RedisServer.start({ args: ['--appendfsync', 'no'] });
t.teardown(() => server.stop());
const redis = (await connectRedisReady(server.url, { commandTimeoutMs: 15_000 })) as Redis;
t.teardown(() => redis.disconnect());
const engine = new SaleEngine(redis);

/** Purchases as nginx sends them: a user and a request key; every tenth with the buyer's own key instead (users
 * of one sale only: a buyer's key names one purchase across sales). */
function purchases(sale: string, from: number, count: number): PurchaseRequest[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    const p: PurchaseRequest = { orderId: newOrderId(sale), user: `${sale}b${i}` };
    if (i % 10 === 0) p.idempotencyKey = `own-${i}`;
    else p.requestKey = `req-${i}`;
    return p;
  });
}

async function buy(sale: string, from: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + count; i += 500) {
    const reply = await engine.reserveBatch(sale, newBatchId(), purchases(sale, i, Math.min(500, from + count - i)));
    for (const r of reply.results) if (r.outcome === Outcome.Success) ids.push(orderIdOf(r));
  }
  return ids;
}

/** A node's sync over the real engine, counting what each re-sync reads. */
function nodeSync() {
  const pages: number[] = [];
  const sent: SharedArrayBuffer[] = [];
  const errors: unknown[] = [];
  const sync = new HolderSync(
    async (sale, cursor, max) => {
      const page = await engine.holderLogPage(sale, cursor, max);
      pages.push(page?.entries.length ?? -1);
      return page;
    },
    (_sale, filter) => sent.push(filter),
    (err) => errors.push(err),
    1000,
  );
  /** One re-sync as the node makes it after a status read; resolves with the entries it read. */
  const resync = async (sale: string): Promise<number> => {
    pages.length = 0;
    const facts = (await readFacts(engine, sale))!;
    sync.check(facts);
    for (let i = 0; i < 1000 && sync.synced(sale) < facts.ordersMade; i++) await sleep(10);
    t.equal(sync.synced(sale), facts.ordersMade, `complete up to ${facts.ordersMade} orders`);
    return pages.reduce((a, b) => a + b, 0);
  };
  return { sync, sent, errors, resync, filter: () => new HolderFilter(sent[sent.length - 1]) };
}

t.test('reserve-batch appends a new hold\'s user and record field; replays and refusals append nothing', async (t) => {
  await engine.createSale({ id: 'HL1', total: 3, perUserLimit: 1, holdSeconds: 300, anonymous: true });
  const first = await engine.reserveBatch('HL1', newBatchId(), [
    { orderId: newOrderId('HL1'), user: 'ann', idempotencyKey: 'K1' },
    { orderId: newOrderId('HL1'), user: '', requestKey: 'R2' },
    { orderId: newOrderId('HL1'), user: 'bo' },
  ]);
  t.same(first.results.map((r) => r.outcome), [Outcome.Success, Outcome.Success, Outcome.Success]);
  const log = () => redis.lrange(saleKeys('HL1').mayHold, 0, -1);
  t.same(await log(), ['ann', 'ann K1', ' R2', 'bo'], 'users and "<user> <key>" fields, in order');
  await engine.reserveBatch('HL1', newBatchId(), [
    { orderId: newOrderId('HL1'), user: 'ann', idempotencyKey: 'K1' },
    { orderId: newOrderId('HL1'), user: 'cy', idempotencyKey: 'K3' },
  ]);
  t.same(await log(), ['ann', 'ann K1', ' R2', 'bo'], "ann's replay and cy's sold-out purchase added nothing");
  t.equal(await redis.hget(saleKeys('HL1').meta, 'holderLog'), '1', 'a new sale keeps its log from the start');
});

t.test('a big sold-out sale whose holds expire and sell again: each re-sync reads only the new holds', async (t) => {
  const TOTAL = 3000;
  await engine.createSale({ id: 'HL2', total: TOTAL, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  const ids = await buy('HL2', 0, TOTAL);
  t.equal(ids.length, TOTAL, 'sold out');
  const node = nodeSync();
  const firstRead = await node.resync('HL2');
  t.equal(firstRead, 2 * TOTAL, 'the first sync reads the log once: a user and a key per hold');
  const filter = node.filter();
  t.ok(ids.every((_, i) => filter.has(`HL2b${i}`)), 'every holder is in');
  t.ok(filter.has('HL2b10 own-10') && filter.has('HL2b11 req-11'), 'and their keys, scoped to them');
  // All but 40 are paid; those 40 expire and 40 new buyers take their seats: the sale is sold out again.
  await Promise.all(ids.slice(40).map((id) => engine.pay(id)));
  // Their hold time passes: every deadline due now (a short holdSeconds raced the paying on a busy machine).
  const deadlines = saleKeys('HL2').deadlines;
  const members = await redis.zrange(deadlines, 0, -1);
  await redis.zadd(deadlines, ...members.flatMap((m) => [0, m]));
  t.match(await engine.expireDue('HL2', 1000), { expired: 40 });
  t.equal((await buy('HL2', TOTAL, 40)).length, 40, '40 new holds');
  t.equal((await engine.status('HL2'))?.remaining, 0);
  const reRead = await node.resync('HL2');
  t.equal(reRead, 80, `the re-sync read 80 entries (the 40 new holds), not the ${2 * TOTAL + 80} of the whole sale`);
  t.equal(node.sent.length, 1, 'the same shared filter, filled in place');
  t.ok(node.filter().has(`HL2b${TOTAL + 39}`), 'the newest holder is in');
  t.equal(await node.resync('HL2'), 0, 'nothing new: nothing read');
  t.same(node.errors, []);
});

t.test('a sale made before the log: its holders and records once, then the log', async (t) => {
  await engine.createSale({ id: 'HL3', total: 100, perUserLimit: 1, holdSeconds: 300, anonymous: false });
  await buy('HL3', 0, 60);
  // As an older version left it: no log, no holderLog mark.
  await redis.hdel(saleKeys('HL3').meta, 'holderLog');
  await redis.del(saleKeys('HL3').mayHold);
  await buy('HL3', 60, 40);
  t.equal(await redis.llen(saleKeys('HL3').mayHold), 80, 'holds made after the upgrade are logged');
  const node = nodeSync();
  const firstRead = await node.resync('HL3');
  t.equal(firstRead, 200, 'the first page: every holder and every record (100 + 100)');
  const filter = node.filter();
  t.ok(filter.has('HL3b0') && filter.has('HL3b10 own-10') && filter.has('HL3b59'), 'holders from before the log are in');
  t.ok(filter.has('HL3b99'), 'and those after');
  t.match(await engine.holderLogPage('HL3', 80, 10), { next: 80, length: 80, entries: [] }, 'later pages read the log from its end');
  t.match(await engine.holderLogPage('HL3', 81, 10), { next: -1 }, 'a cursor past the end says: start over');
  await t.rejects(engine.holderLogPage('HL3', -1, 10), { code: 'ERR_INVALID_ARGUMENT' });
  t.equal(await engine.holderLogPage('NOPE', 0, 10), null, 'no such sale: null');
});
