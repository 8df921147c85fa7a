import t from 'tap';
import {
  checkIdempotencyKey,
  checkOrderId,
  checkSale,
  checkUser,
  isRejection,
  parsePurchaseBody,
  parseSaleBody,
} from '../../src/http/request-rules.js';
import { isJson } from '../../src/http/body.js';

t.test('user, sale, order ids and idempotency keys', async (t) => {
  for (const ok of ['u1', 'alice@example.com', 'tenant:42', 'a.b-c_d', 'x'.repeat(64), '']) t.equal(checkUser(ok), null, `user ${ok.slice(0, 10)} ok`);
  for (const bad of ['a b', 'x'.repeat(65), '<script>', 'ü', 'a/b', 'a"b']) t.equal(checkUser(bad)?.error, 'BAD_USER', `user ${bad.slice(0, 10)} rejected`);
  for (const ok of ['S1', 'G1234', 'a_b-c', 's'.repeat(48)]) t.equal(checkSale(ok), null, `sale ${ok.slice(0, 10)} ok`);
  for (const bad of ['', 's'.repeat(49), 'a.b', 'a b', 'x!']) t.equal(checkSale(bad)?.status, 400, `sale ${bad.slice(0, 10)} rejected`);
  t.equal(checkOrderId('S1.abc-123'), null);
  for (const bad of ['S1', '.abc', 'S1.', 'S1.a b', 'S!.abc', `S1.${'x'.repeat(200)}`]) t.equal(checkOrderId(bad)?.error, 'BAD_ORDER_ID', `order ${bad.slice(0, 10)}`);
  t.equal(checkIdempotencyKey(''), null, 'no key is fine');
  t.equal(checkIdempotencyKey('abc-123_XYZ:1'), null);
  t.equal(checkIdempotencyKey('a b')?.error, 'BAD_IDEMPOTENCY_KEY');
  t.equal(checkIdempotencyKey('k'.repeat(129))?.error, 'BAD_IDEMPOTENCY_KEY');
});

t.test('purchase bodies', async (t) => {
  t.same(parsePurchaseBody('{"user":"u1","sale":"S1"}', 'D'), { user: 'u1', sale: 'S1' });
  t.same(parsePurchaseBody('{"user":"u1"}', 'D'), { user: 'u1', sale: 'D' }, 'sale defaults to the node default');
  t.same(parsePurchaseBody('{}', 'D'), { user: '', sale: 'D' }, 'no user = anonymous (the sale decides)');
  for (const [body, error] of [
    ['', 'BAD_JSON'],
    ['{', 'BAD_JSON'],
    ['[]', 'BAD_JSON'],
    ['"x"', 'BAD_JSON'],
    ['null', 'BAD_JSON'],
    ['{"user":1}', 'BAD_USER'],
    ['{"user":"a b"}', 'BAD_USER'],
    ['{"user":"u","sale":7}', 'BAD_SALE'],
    ['{"user":"u","sale":"bad sale"}', 'BAD_SALE'],
  ] as const) {
    const r = parsePurchaseBody(body, 'D');
    t.ok(isRejection(r) && r.error === error, `${JSON.stringify(body)} -> ${error}`);
  }
  t.ok(isJson('application/json'));
  t.ok(isJson('application/json; charset=utf-8'));
  t.ok(isJson('application/merge-patch+json'));
  t.notOk(isJson('text/plain'));
  t.notOk(isJson(''));
});

t.test('sale bodies name the bad field', async (t) => {
  const ok = parseSaleBody('{"id":"G1234","total":10000,"perUserLimit":1,"holdSeconds":900,"anonymous":false}');
  t.same(ok, { id: 'G1234', total: 10000, perUserLimit: 1, holdSeconds: 900, anonymous: false });
  const defaults = parseSaleBody('{"id":"G1","total":5}');
  t.same(defaults, { id: 'G1', total: 5, perUserLimit: 1, holdSeconds: 900, anonymous: false });
  const timed = parseSaleBody('{"id":"G1","total":5,"opensAt":"2030-01-01T10:00:00Z","closesAt":"2030-01-01T11:00:00Z"}');
  t.equal(isRejection(timed) ? -1 : timed.opensAt, Date.parse('2030-01-01T10:00:00Z'));
  for (const [body, field] of [
    ['{"total":5}', 'id'],
    ['{"id":"a b","total":5}', 'id'],
    ['{"id":"G1"}', 'total'],
    ['{"id":"G1","total":0}', 'total'],
    ['{"id":"G1","total":1.5}', 'total'],
    ['{"id":"G1","total":"5"}', 'total'],
    ['{"id":"G1","total":5,"perUserLimit":0}', 'perUserLimit'],
    ['{"id":"G1","total":5,"holdSeconds":-1}', 'holdSeconds'],
    ['{"id":"G1","total":5,"anonymous":"yes"}', 'anonymous'],
    ['{"id":"G1","total":5,"opensAt":"soon"}', 'opensAt'],
    ['{"id":"G1","total":5,"opensAt":"2030-01-02T00:00:00Z","closesAt":"2030-01-01T00:00:00Z"}', 'closesAt'],
  ] as const) {
    const r = parseSaleBody(body);
    t.ok(isRejection(r) && r.status === 400 && r.msg.startsWith(`${field}:`), `${body} -> names ${field}`);
  }
});
