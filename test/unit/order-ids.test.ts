// Order ids with a per-sale tag (src/sale/ids.ts), without Redis: the tag is SipHash-2-4, a made id passes its
// sale's check, any changed character, another sale's key or a made-up suffix fails, a legacy sale is not checked.
import t from 'tap';
import siphash24 from 'siphash24';
import { newIdKey, newOrderId, orderIdTagValid } from '../../src/sale/ids.js';
import { ID_KEY, matches, saleOfOrderId } from '../../src/rules/input-rules.js';

const KEY = newIdKey();
const OTHER = newIdKey();
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

t.test('siphash24 is SipHash-2-4: the reference vectors of the SipHash paper', async (t) => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  t.equal(Buffer.from(siphash24(new Uint8Array(0), key)).toString('hex'), '310e0edd47db6f72', 'empty message');
  t.equal(Buffer.from(siphash24(Uint8Array.from({ length: 15 }, (_, i) => i), key)).toString('hex'), 'e545be4961ca29a1', '15 bytes 00..0e (0xa129ca6149be45e5, little-endian)');
});

t.test('an id made with its sale key passes; the key is 16 random bytes as hex', async (t) => {
  t.ok(matches(ID_KEY, KEY), KEY);
  t.not(KEY, OTHER, 'each sale its own key');
  for (let i = 0; i < 1000; i++) {
    const id = newOrderId('G1', KEY);
    if (!orderIdTagValid(id, KEY)) t.fail(`made id ${id} refused`);
  }
  const id = newOrderId('Sale_1-a', KEY);
  t.match(id, /^Sale_1-a\.[A-Za-z0-9_-]{22}$/, 'the shape is unchanged: <sale>.<22 base64url characters>');
  t.equal(saleOfOrderId(id), 'Sale_1-a');
});

t.test('any character changed, another sale key, a made-up suffix: refused', async (t) => {
  const id = newOrderId('G1', KEY);
  const at = id.indexOf('.') + 1;
  let accepted = 0;
  let tried = 0;
  for (let i = at; i < id.length; i++) {
    for (const c of ALPHABET) {
      if (c === id[i]) continue;
      tried++;
      if (orderIdTagValid(id.slice(0, i) + c + id.slice(i + 1), KEY)) accepted++;
    }
  }
  t.equal(accepted, 0, `none of the ${tried} one-character changes passes`);
  t.notOk(orderIdTagValid(id, OTHER), "another sale's key refuses it");
  let madeUp = 0;
  for (let i = 0; i < 10_000; i++) if (orderIdTagValid(newOrderId('G1'), KEY)) madeUp++;
  t.equal(madeUp, 0, '10,000 untagged random suffixes: none passes (2^-32 each)');
  for (const bad of ['G1', 'G1.', 'G1.short', `${id}A`, id.slice(0, -1), `${id.slice(0, -1)}B`, `${id.slice(0, -5)}!!!!!`]) {
    t.notOk(orderIdTagValid(bad, KEY), `${JSON.stringify(bad)} refused`);
  }
});

t.test('the last character must be canonical: 16 bytes leave 4 bits of it unused', async (t) => {
  const id = newOrderId('G1', KEY);
  const last = id[id.length - 1];
  const value = ALPHABET.indexOf(last);
  t.equal(value & 15, 0, 'a made id ends in A, Q, g or w');
  const sameBytes = id.slice(0, -1) + ALPHABET[value | 1];
  t.same(Buffer.from(sameBytes.slice(3), 'base64url'), Buffer.from(id.slice(3), 'base64url'), 'Buffer decodes both to the same bytes');
  t.notOk(orderIdTagValid(sameBytes, KEY), 'but only the canonical spelling passes');
});

t.test('a legacy sale (no key): ids made and accepted as before, no check', async (t) => {
  const id = newOrderId('OLD');
  t.match(id, /^OLD\.[A-Za-z0-9_-]{22}$/);
  for (const any of [id, 'OLD.o1', `OLD.${'x'.repeat(100)}`]) t.ok(orderIdTagValid(any, null), `${any.slice(0, 30)} accepted`);
  // 16 random bytes: every one of the 128 bits is a coin toss. A tagged id's last 32 bits are a PRF's output,
  // so they look the same from outside.
  for (const [what, make] of [['legacy', () => newOrderId('G1')], ['tagged', () => newOrderId('G1', KEY)]] as const) {
    const ids = Array.from({ length: 4000 }, () => Buffer.from(make().slice(3), 'base64url'));
    let skewed = 0;
    for (let bit = 0; bit < 128; bit++) {
      const ones = ids.filter((b) => (b[bit >> 3] >> (bit & 7)) & 1).length;
      if (ones < 0.4 * ids.length || ones > 0.6 * ids.length) skewed++;
    }
    t.equal(skewed, 0, `${what}: every one of the 128 bits is set in 40-60 % of 4000 ids`);
  }
});

t.test('a malformed key is refused, not used', async (t) => {
  t.throws(() => newOrderId('G1', 'ABC'), /order-id key/);
  t.throws(() => newOrderId('G1', KEY.toUpperCase()), /order-id key/);
  t.notOk(orderIdTagValid(newOrderId('G1', KEY), 'not-a-key'), 'a check with a malformed key fails');
});
