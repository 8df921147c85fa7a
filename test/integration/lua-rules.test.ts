// The Lua scripts check the same input rules as src/rules, byte for byte at every boundary: each script is
// called directly (raw arguments, no TypeScript check in front) with the longest value the table allows and
// with one more character, a foreign character, or a number just out of range.
import t from 'tap';
import { connectRedisReady } from '../../src/redis/connection.js';
import { ScriptCode } from '../../src/redis/codes.js';
import { REGISTRY, batchKey, paymentSignatureKey, saleKeys } from '../../src/redis/keys.js';
import { scriptsOf } from '../../src/redis/scripts.js';
import {
  BATCH_ID,
  BATCH_RECORD_TTL_SECONDS,
  BATCH_SIZE,
  DEFAULT_MAX_SALES,
  EXPIRE_PER_CALL,
  GATE,
  HOLD_SECONDS,
  IDEMPOTENCY_KEY,
  ID_KEY,
  MAX_SALES,
  ORDER_ID,
  PER_USER_LIMIT,
  SALE_ID,
  SALE_TIME_MS,
  SALE_TOTAL,
  USER,
  type IntRule,
} from '../../src/rules/input-rules.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { RedisServer } from '../helpers/redis-server.js';

t.test('lua/ holds every input to the table in src/rules', async (t) => {
  const server = await RedisServer.start();
  t.teardown(() => server.stop());
  const redis = await connectRedisReady(server.url);
  t.teardown(() => redis.disconnect());
  const scripts = scriptsOf(redis);
  const engine = new SaleEngine(redis);
  const SALE = 'LR';
  await engine.createSale({ id: SALE, total: 100_000, perUserLimit: 1_000, holdSeconds: 600, anonymous: true });
  const k = saleKeys(SALE);
  let batches = 0;

  /** One reserve-batch call with one purchase (or `n` copies of it); returns the raw reply. */
  const reserve = (
    p: { saleId?: string; batchId?: string; ttl?: string; n?: number; orderId?: string; user?: string; idem?: string; claimTtl?: string; claims?: string[] } = {},
  ) => {
    const saleId = p.saleId ?? SALE;
    const batchId = p.batchId ?? `lr${++batches}`;
    const n = p.n ?? 1;
    const args: string[] = [saleId, batchId, p.ttl ?? '600', String(n)];
    for (let i = 0; i < n; i++) args.push(p.orderId !== undefined && n === 1 ? p.orderId : `${saleId}.b${batches}x${i}`, p.user ?? '', p.idem ?? '');
    args.push(p.claimTtl ?? '86400', p.claims === undefined ? '0' : String(p.claims.length / 2), ...(p.claims ?? []));
    const tag = /^[A-Za-z0-9_-]{1,48}$/.test(saleId) ? saleId : SALE;
    const keys = saleKeys(tag);
    const bk = /^[A-Za-z0-9_-]+$/.test(batchId) ? batchKey(tag, batchId) : batchKey(tag, 'x');
    return scripts.reserveBatch(keys.meta, keys.holders, keys.orders, keys.idem, keys.deadlines, keys.stream, bk, keys.mayHold, keys.seats, keys.free, keys.stretch, keys.items, ...args);
  };
  const refused = (reply: unknown, detail: string) => Array.isArray(reply) && reply[0] === ScriptCode.InvalidArgument && reply[1] === detail;
  const accepted = (reply: unknown) => typeof reply === 'string' || (Array.isArray(reply) && reply[0] !== ScriptCode.InvalidArgument && reply[0] !== ScriptCode.BatchTooLarge);

  const longest = (maxLength: number, prefix = '') => prefix + 'a'.repeat(maxLength - prefix.length);

  t.test('reserve-batch: purchases', async (t) => {
    const user = longest(USER.maxLength);
    t.ok(accepted(await reserve({ user })), `user of ${USER.maxLength} accepted`);
    t.ok(refused(await reserve({ user: user + 'a' }), 'purchases[0].user'), `user of ${USER.maxLength + 1} refused`);
    for (const bad of ['a b', 'a|b', 'a/b', 'ü']) t.ok(refused(await reserve({ user: bad }), 'purchases[0].user'), `user ${JSON.stringify(bad)} refused`);
    for (const good of ['alice@example.com', 'tenant:42', 'a.b-c_d']) t.ok(accepted(await reserve({ user: good })), `user ${good} accepted`);
    t.ok(accepted(await reserve({ user: '' })), "'' (anonymous) accepted");

    const idem = longest(IDEMPOTENCY_KEY.maxLength);
    t.ok(accepted(await reserve({ user: 'k1', idem })), `key of ${IDEMPOTENCY_KEY.maxLength} accepted`);
    t.ok(refused(await reserve({ idem: idem + 'a' }), 'purchases[0].idempotencyKey'), `key of ${IDEMPOTENCY_KEY.maxLength + 1} refused`);
    for (const bad of ['a b', 'tab\tx', 'ü']) t.ok(refused(await reserve({ idem: bad }), 'purchases[0].idempotencyKey'), `key ${JSON.stringify(bad)} refused`);
    t.ok(accepted(await reserve({ user: 'k2', idem: '!#$%&()*+,-./:;<=>?@[]^_`{|}~' })), 'every printable ASCII character accepted');

    const orderId = longest(ORDER_ID.maxLength, `${SALE}.`);
    t.ok(accepted(await reserve({ orderId })), `order id of ${ORDER_ID.maxLength} accepted`);
    t.ok(refused(await reserve({ orderId: orderId + 'a' }), 'purchases[0].orderId'), `order id of ${ORDER_ID.maxLength + 1} refused`);
    for (const bad of [`${SALE}.a.b`, `${SALE}.`, 'OTHER.x', `${SALE}.a b`]) t.ok(refused(await reserve({ orderId: bad }), 'purchases[0].orderId'), `order id ${bad} refused`);
  });

  t.test('reserve-batch: sale id, batch id, record TTL, batch size', async (t) => {
    const saleId = longest(SALE_ID.maxLength);
    t.same(await reserve({ saleId }), [ScriptCode.UnknownSale, saleId], `sale id of ${SALE_ID.maxLength} passes the checks (then: unknown sale)`);
    t.ok(refused(await reserve({ saleId: saleId + 'a' }), 'saleId'), `sale id of ${SALE_ID.maxLength + 1} refused`);
    t.ok(refused(await reserve({ saleId: 'a.b' }), 'saleId'), 'a dot in a sale id refused');

    t.ok(accepted(await reserve({ batchId: longest(BATCH_ID.maxLength) })), `batch id of ${BATCH_ID.maxLength} accepted`);
    t.ok(refused(await reserve({ batchId: longest(BATCH_ID.maxLength + 1) }), 'batchId'), `batch id of ${BATCH_ID.maxLength + 1} refused`);

    const ttl = BATCH_RECORD_TTL_SECONDS;
    t.ok(accepted(await reserve({ ttl: String(ttl.max) })), `TTL ${ttl.max} accepted`);
    for (const bad of [ttl.max + 1, ttl.min - 1]) t.ok(refused(await reserve({ ttl: String(bad) }), 'batchTtl'), `TTL ${bad} refused`);

    t.ok(accepted(await reserve({ claimTtl: '604800' })), 'claim TTL of a week accepted');
    t.ok(refused(await reserve({ claimTtl: '604801' }), 'claimTtl'), 'a longer claim TTL refused');
    t.ok(refused(await reserve({ claims: ['0', 'ts:idemkey:u k', '0', 'ts:idemkey:u k'] }), 'claim count'), 'more claims than purchases refused');
    t.ok(refused(await reserve({ user: 'u', idem: 'k', claims: ['1', 'ts:idemkey:u k'] }), 'claims[0]'), 'a claim for a purchase that is not there refused');
    t.ok(refused(await reserve({ user: 'u', claims: ['0', 'ts:idemkey:u k'] }), 'claims[0]'), 'a claim for a purchase without a key refused');
    t.ok(refused(await reserve({ user: 'u', idem: 'k', claims: ['0', '{sale:LR}:meta'] }), 'claims[0]'), 'a claim key that is not a claim refused');
    t.ok(accepted(await reserve({ user: 'u', idem: 'k', claims: ['0', 'ts:idemkey:u k'] })), 'a claim for its purchase accepted');
    t.ok(accepted(await reserve({ n: BATCH_SIZE.max, user: '' })), `a batch of ${BATCH_SIZE.max} accepted`);
    t.same(await reserve({ n: BATCH_SIZE.max + 1 }), [ScriptCode.BatchTooLarge, String(BATCH_SIZE.max)], `a batch of ${BATCH_SIZE.max + 1} refused`);
  });

  t.test('create-sale: every range, and the order-id key', async (t) => {
    let made = 0;
    const KEY = '0123456789abcdef'.repeat(2);
    const create = (over: Partial<Record<'total' | 'limit' | 'hold' | 'opensAt' | 'closesAt', number>>, idKey: string = KEY) =>
      scripts.createSale(saleKeys(`CS${++made}`).meta, over.total ?? 1, over.limit ?? 1, over.hold ?? 1, over.opensAt ?? 0, over.closesAt ?? 0, 0, idKey);
    const ranges: Array<[keyof Parameters<typeof create>[0], IntRule, string]> = [
      ['total', SALE_TOTAL, 'total'],
      ['limit', PER_USER_LIMIT, 'perUserLimit'],
      ['hold', HOLD_SECONDS, 'holdSeconds'],
      ['opensAt', SALE_TIME_MS, 'opensAt'],
    ];
    for (const [arg, rule, field] of ranges) {
      t.equal(await create({ [arg]: rule.max }), ScriptCode.Ok, `${field} ${rule.max} accepted`);
      t.same(await create({ [arg]: rule.max + 1 }), [ScriptCode.InvalidSale, field], `${field} ${rule.max + 1} refused`);
      if (rule.min > 0) t.same(await create({ [arg]: rule.min - 1 }), [ScriptCode.InvalidSale, field], `${field} ${rule.min - 1} refused`);
    }
    t.same(await create({ opensAt: 2000, closesAt: 1000 }), [ScriptCode.InvalidSale, 'closesAt'], 'closesAt before opensAt refused');

    t.equal(await create({}, KEY), ScriptCode.Ok, `an idKey of ${ID_KEY.maxLength} hex characters accepted`);
    t.equal(await redis.hget(saleKeys(`CS${made}`).meta, 'idKey'), KEY, 'and stored as meta idKey');
    for (const bad of [KEY.slice(1), `${KEY}0`, KEY.toUpperCase(), `${KEY.slice(1)}g`, '']) {
      t.same(await create({}, bad), [ScriptCode.InvalidSale, 'idKey'], `idKey ${JSON.stringify(bad)} refused`);
      t.equal(await redis.exists(saleKeys(`CS${made}`).meta), 0, 'nothing written');
    }
    t.same(await scripts.createSale(saleKeys('CSX').meta, 1, 1, 1, 0, 0, 0), [ScriptCode.InvalidSale, 'argument count'], 'a create without an idKey refused');
  });

  t.test('reserve-place: sale id, releaseAt, capacity; a refusal writes nothing', async (t) => {
    const place = (sale: string, releaseAt: number | string, capacity: number | string) =>
      scripts.reservePlace(REGISTRY.places, REGISTRY.capacity, sale, releaseAt, capacity);
    const state = async () => [await redis.zrange(REGISTRY.places, 0, -1, 'WITHSCORES'), await redis.get(REGISTRY.capacity)];
    const before = await state();
    t.equal(before[1], String(DEFAULT_MAX_SALES), 'the first createSale stored the default capacity');
    t.same(await place(longest(SALE_ID.maxLength) + 'a', 0, 4096), [ScriptCode.InvalidArgument, 'saleId'], 'a sale id too long refused');
    t.same(await place('P-1!', 0, 4096), [ScriptCode.InvalidArgument, 'saleId'], 'a foreign character refused');
    t.same(await place('P1', SALE_TIME_MS.max + 1, 4096), [ScriptCode.InvalidArgument, 'releaseAt'], 'releaseAt past the time range refused');
    t.same(await place('P1', '-1', 4096), [ScriptCode.InvalidArgument, 'releaseAt']);
    t.same(await place('P1', 0, MAX_SALES.max + 1), [ScriptCode.InvalidArgument, 'capacity'], `capacity ${MAX_SALES.max + 1} refused`);
    t.same(await place('P1', 0, MAX_SALES.min - 1), [ScriptCode.InvalidArgument, 'capacity'], `capacity ${MAX_SALES.min - 1} refused`);
    t.same(await place('P1', 0, DEFAULT_MAX_SALES - 1), [ScriptCode.RegistryCapacity, String(DEFAULT_MAX_SALES)], 'a capacity below the stored one refused');
    t.same(await state(), before, 'nothing written by any refusal');
    const at = await place(longest(SALE_ID.maxLength), SALE_TIME_MS.max, MAX_SALES.max);
    t.ok(Array.isArray(at) && at[0] === ScriptCode.Ok && at[2] === DEFAULT_MAX_SALES, 'the longest id, the latest releaseAt, the highest capacity accepted; the stored capacity stays');
  });

  t.test('expire-holds and get-order', async (t) => {
    const expire = (limit: number) => scripts.expireHolds(k.meta, k.holders, k.orders, k.deadlines, k.stream, k.seats, k.free, k.stretch, k.items, limit);
    const atMax = await expire(EXPIRE_PER_CALL.max);
    t.ok(Array.isArray(atMax) && atMax.length === 3 && atMax[0] === 0, `limit ${EXPIRE_PER_CALL.max} accepted (nothing due)`);
    t.same(await expire(EXPIRE_PER_CALL.max + 1), [ScriptCode.InvalidArgument, 'limit'], `limit ${EXPIRE_PER_CALL.max + 1} refused`);
    t.same(await expire(EXPIRE_PER_CALL.min - 1), [ScriptCode.InvalidArgument, 'limit'], `limit ${EXPIRE_PER_CALL.min - 1} refused`);
    const orderId = longest(ORDER_ID.maxLength, `${SALE}.never-sold-`);
    const idKey = await redis.hget(k.meta, 'idKey');
    t.same(await scripts.getOrder(k.orders, k.meta, k.items, orderId), [ScriptCode.OrderNotFound, 1, idKey, 0], `get-order: an id of ${ORDER_ID.maxLength} is looked up (none there; the sale, its key, nothing retired)`);
    t.same(await scripts.getOrder(k.orders, k.meta, k.items, orderId + 'a'), [ScriptCode.InvalidArgument, 'orderId'], `an id of ${ORDER_ID.maxLength + 1} refused`);
    const none = saleKeys('NOSUCH');
    t.same(await scripts.getOrder(none.orders, none.meta, none.items, 'NOSUCH.x'), [ScriptCode.OrderNotFound, 0, '', 0], 'an id of a sale Redis does not have: saleExists 0');
  });

  t.test('pay and check-in: the signature, the record TTL and the gate; a refusal writes nothing', async (t) => {
    const orderId = `${SALE}.never-sold`;
    const pay = (sig: string, ttl: string) => scripts.pay(k.meta, k.holders, k.orders, k.stream, paymentSignatureKey(SALE, null), k.seats, k.free, k.stretch, k.items, orderId, sig, ttl);
    t.same(await pay('a'.repeat(64), '86400'), [ScriptCode.OrderNotFound, ''], 'a 64-hex signature and a day accepted (no such order)');
    t.same(await pay('', '1'), [ScriptCode.OrderNotFound, ''], 'no signature and 1 s accepted');
    t.same(await pay('a'.repeat(63), '600'), [ScriptCode.InvalidArgument, 'signature'], '63 hex refused');
    t.same(await pay('A'.repeat(64), '600'), [ScriptCode.InvalidArgument, 'signature'], 'upper case refused');
    t.same(await pay('a'.repeat(64), '86401'), [ScriptCode.InvalidArgument, 'signatureTtl'], 'a TTL past a day refused');
    t.same(await pay('a'.repeat(64), '0'), [ScriptCode.InvalidArgument, 'signatureTtl'], 'a TTL of 0 refused');
    const before = await redis.dump(k.meta);
    const checkIn = (gate: string, paidSeen = '0', user = '') => scripts.checkIn(k.meta, k.orders, k.checkins, k.stream, orderId, gate, paidSeen, user);
    t.same(await checkIn(longest(GATE.maxLength)), [ScriptCode.OrderNotFound, ''], `a gate of ${GATE.maxLength} accepted (no such order)`);
    t.same(await checkIn(longest(GATE.maxLength + 1)), [ScriptCode.InvalidArgument, 'gate'], `a gate of ${GATE.maxLength + 1} refused`);
    t.same(await checkIn(''), [ScriptCode.InvalidArgument, 'gate'], 'an empty gate refused');
    t.same(await checkIn('G 1'), [ScriptCode.InvalidArgument, 'gate'], 'a space refused');
    t.same(await checkIn('G|1'), [ScriptCode.InvalidArgument, 'gate'], "the record's '|' refused");
    t.same(await checkIn('G1', '2'), [ScriptCode.InvalidArgument, 'paidSeen'], 'paidSeen other than 0/1 refused');
    t.same(await checkIn('G1', '1', longest(USER.maxLength + 1)), [ScriptCode.InvalidArgument, 'user'], `a user of ${USER.maxLength + 1} refused`);
    t.equal(await redis.dump(k.meta), before, 'no check-in counted');
    t.equal(await redis.exists(k.checkins), 0, 'no check-in recorded');
  });

  t.test('retire-orders and trim-stream: every bound; a refusal writes nothing', async (t) => {
    const retire = (...args: (string | number)[]) => scripts.retireOrders(k.meta, k.orders, k.idem, k.idemDue, k.items, ...args);
    const before = await redis.dump(k.meta);
    const ids = Array.from({ length: 1000 }, (_, i) => `${SALE}.gone-${i}`);
    t.same(await retire(SALE, 604800000, 1000, ...ids), [0, 0, 0, 0, []], '1000 ids and the longest window accepted (none there)');
    t.same(await retire(SALE, 0, 1001, ...ids, `${SALE}.x`), [ScriptCode.InvalidArgument, 'count'], '1001 ids refused');
    t.same(await retire(SALE, 604800001, 0), [ScriptCode.InvalidArgument, 'idemWindowMs'], 'a window past 7 days refused');
    t.same(await retire(SALE, -1, 0), [ScriptCode.InvalidArgument, 'idemWindowMs'], 'a negative window refused');
    t.same(await retire(SALE, 0, 1, 'other.x'), [ScriptCode.InvalidArgument, 'orderIds[0]'], "another sale's order refused");
    t.same(await retire(SALE, 0, 2, `${SALE}.x`), [ScriptCode.InvalidArgument, 'argument count'], 'a missing id refused');
    t.same(await retire('bad sale', 0, 0), [ScriptCode.InvalidArgument, 'saleId'], 'a bad sale id refused');
    t.equal(await redis.dump(k.meta), before, 'no retired counter written');
    t.same(await scripts.trimStream(k.meta, k.deadlines, k.stream, '1-x'), [ScriptCode.InvalidArgument, 'minId'], 'a bad stream id refused');
    t.same(await scripts.trimStream(k.meta, k.deadlines, k.stream, '1234567890123456-0'), [ScriptCode.InvalidArgument, 'minId'], 'a 16-digit ms refused');
  });
});
