import t from 'tap';
import {
  BATCH_ID,
  IDEMPOTENCY_KEY,
  ID_KEY,
  NODE_ID,
  ORDER_ID,
  SALE_ID,
  SALE_TOTAL,
  USER,
  checkInt,
  checkText,
  matches,
  parseIntText,
  saleOfOrderId,
} from '../../src/rules/input-rules.js';
import { checkSaleConfig, checkSaleInput } from '../../src/rules/sale-config.js';
import { checkAddressRange, checkAddressRanges, checkTrustedProxies, rangesContain } from '../../src/rules/address-ranges.js';

t.test('text rules: the longest value passes, one more character or a foreign character does not', async (t) => {
  const cases = [
    { rule: SALE_ID, longest: 's'.repeat(48), foreign: ['a.b', 'a b', '{x}', 'ü'] },
    { rule: USER, longest: 'u'.repeat(64), foreign: ['a b', 'a|b', 'a/b', '<x>', 'ü'] },
    { rule: IDEMPOTENCY_KEY, longest: 'k'.repeat(128), foreign: ['a b', 'tab\tx', 'ü'] },
    { rule: BATCH_ID, longest: 'b'.repeat(160), foreign: ['a.b', 'a b'] },
    { rule: NODE_ID, longest: 'n'.repeat(64), foreign: ['a b', 'a/b'] },
    { rule: ORDER_ID, longest: `S.${'o'.repeat(158)}`, foreign: ['S', '.x', 'S.', 'S.a.b', 'S!.x', 'S.a b'] },
    { rule: ID_KEY, longest: '0123456789abcdef'.repeat(2), foreign: ['a'.repeat(31), 'A'.repeat(32), 'g'.repeat(32), ` ${'a'.repeat(31)}`] },
  ];
  for (const { rule, longest, foreign } of cases) {
    t.equal(longest.length, rule.maxLength, `${rule.what}: the test's longest is the rule's maximum`);
    t.ok(matches(rule, longest), `${rule.what}: ${rule.maxLength} characters pass`);
    t.notOk(matches(rule, longest + longest[0]), `${rule.what}: ${rule.maxLength + 1} do not`);
    t.notOk(matches(rule, ''), `${rule.what}: empty does not`);
    for (const bad of foreign) t.notOk(matches(rule, bad), `${rule.what}: ${JSON.stringify(bad)} does not`);
    t.notOk(matches(rule, 5), `${rule.what}: a number is not text`);
  }
  t.match(checkText(USER, 'a b'), { ok: false, problem: /not allowed: send 1-64 characters/ });
  t.match(checkText(USER, 'x'.repeat(65)), { ok: false, problem: /too long/ });
  t.match(checkText(SALE_ID, ''), { ok: false, problem: /empty/ });
  t.match(checkText(SALE_ID, 7), { ok: false, problem: /got 7/ });
});

t.test('order ids carry their sale before the first dot', async (t) => {
  t.equal(saleOfOrderId('G1.abc-1'), 'G1');
  t.equal(saleOfOrderId(`${'s'.repeat(48)}.x`), 's'.repeat(48));
  t.equal(saleOfOrderId(`${'s'.repeat(49)}.x`), null, 'a sale id over 48 is no order id');
  t.equal(saleOfOrderId('G1.a.b'), null);
  t.equal(saleOfOrderId(undefined), null);
});

t.test('whole numbers: text and JSON numbers against one range', async (t) => {
  t.same(parseIntText(SALE_TOTAL, ' 100000000 '), { ok: true, value: 100_000_000 });
  for (const bad of ['0', '100000001', '1.5', '1e3', '', 'ten', '-1', '99999999999999999']) {
    t.match(parseIntText(SALE_TOTAL, bad), { ok: false, problem: /from 1 to 100000000/ }, `${JSON.stringify(bad)} refused`);
  }
  t.same(checkInt(SALE_TOTAL, 1), { ok: true, value: 1 });
  for (const bad of [0, 1.5, '5', null, Number.NaN, 2 ** 60]) t.notOk(checkInt(SALE_TOTAL, bad).ok, `${String(bad)} refused`);
});

t.test('sale config: one check for the API, the CLI and the engine', async (t) => {
  const good = { id: 'G1', total: 10, perUserLimit: 1, holdSeconds: 900, anonymous: false };
  t.same(checkSaleConfig(good), { ok: true, value: good });
  t.same(checkSaleConfig({ ...good, opensAt: 0, closesAt: 0 }), { ok: true, value: good }, '0 = no time');
  const refused: Array<[Record<string, unknown>, string]> = [
    [{ ...good, id: 'a b' }, 'id'],
    [{ ...good, total: 0 }, 'total'],
    [{ ...good, total: undefined }, 'total'],
    [{ ...good, perUserLimit: 1_000_001 }, 'perUserLimit'],
    [{ ...good, holdSeconds: 604_801 }, 'holdSeconds'],
    [{ ...good, anonymous: 'yes' }, 'anonymous'],
    [{ ...good, opensAt: -1 }, 'opensAt'],
    [{ ...good, opensAt: 2000, closesAt: 1000 }, 'closesAt'],
  ];
  for (const [config, field] of refused) t.match(checkSaleConfig(config), { ok: false, field }, `refused, naming ${field}`);
  const input = checkSaleInput({ id: 'G2', total: 5, opensAt: '2030-01-01T10:00:00Z' });
  t.same(input, { ok: true, value: { id: 'G2', total: 5, perUserLimit: 1, holdSeconds: 900, anonymous: false, opensAt: Date.parse('2030-01-01T10:00:00Z') } }, 'defaults filled, ISO time read');
  t.match(checkSaleInput({ id: 'G2', total: 5, closesAt: 'tomorrow' }), { ok: false, field: 'closesAt', problem: /ISO 8601/ });
});

t.test('address ranges (--ip-rate-exempt, --trusted-proxy): addresses and CIDRs only, each named when wrong', async (t) => {
  for (const good of ['127.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '192.0.2.128/25', '::1', '2001:db8::/32', 'fe80::/10', '::ffff:10.0.0.1', '::/0']) {
    t.ok(checkAddressRange(good).ok, `${good}: accepted`);
  }
  const problems: Array<[string, RegExp]> = [
    ['10.0.0.1/8', /has bits set beyond its \/8: write 10\.0\.0\.0\/8/],
    ['2001:db8::1/32', /write 2001:db8::\/32/],
    ['010.0.0.1', /is not an IPv4 or IPv6 address or CIDR/],
    ['10.0.0.256', /is not an IPv4/],
    ['fe80::1%eth0', /is not an IPv4/],
    ['10.0.0.0/33', /from 0 to 32/],
    ['::/129', /from 0 to 128/],
    ['10.0.0.0/08', /from 0 to 32/],
    ['10.0.0.0/8/8', /is not an IPv4/],
    ['10.0.0.0/8;', /from 0 to 32/],
    ['unix:', /is not an IPv4/],
    ['', /is empty/],
    ['1'.repeat(60), /is too long/],
  ];
  for (const [bad, why] of problems) {
    const checked = checkAddressRange(bad);
    t.notOk(checked.ok, `${JSON.stringify(bad)}: refused`);
    if (!checked.ok) t.match(checked.problem, why, `${JSON.stringify(bad)}: ${checked.problem}`);
  }
  t.same(checkAddressRanges('none'), { ok: true, value: [] }, 'none: no address');
  t.same(checkAddressRanges(' 10.0.0.0/8 ,::1,10.0.0.0/8'), { ok: true, value: ['10.0.0.0/8', '::1'] }, 'trimmed, duplicates dropped');
  t.match(checkAddressRanges('10.0.0.0/8,,::1'), { ok: false, problem: /^item 2: is empty/ }, 'an empty item is named by its place');
  t.match(checkAddressRanges(Array.from({ length: 257 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(',')), { ok: false, problem: /at most 256/ });
  t.same(checkTrustedProxies('10.0.0.0/8'), { ok: true, value: ['10.0.0.0/8'] });
  t.match(checkTrustedProxies('10.0.0.0/8,::/0'), { ok: false, problem: /::\/0 trusts every address/ }, 'no proxy may be everyone');
  t.ok(rangesContain(['127.0.0.0/8', '::1'], '127.0.0.1'), '127.0.0.1 in 127.0.0.0/8');
  t.ok(rangesContain(['2001:db8::/32'], '2001:db8:ffff::1'), 'IPv6 prefix');
  t.notOk(rangesContain(['::1'], '127.0.0.1'), 'IPv4 is not in an IPv6 range');
  t.notOk(rangesContain(['10.0.0.0/8'], '11.0.0.1'));
});
