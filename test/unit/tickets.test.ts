// The pure e-ticket parts: the canonical payload, key ids, signing and checking a ticket, parsing what a gate
// sends, and the key directory (what it accepts, what it refuses and how it says so, rotation).
import t from 'tap';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalPayload, kidOf, parseTicket, signatureValid, signTicket } from '../../src/tickets/format.js';
import { ensureKeyDir, generateTicketKey, loadKeyDir, memoryKeySet, publicKeysOf, rotateKey, sameKeySet, signingKey } from '../../src/tickets/keys.js';

const order = { id: 'S1.abcDEF123_-', sale: 'S1', user: 'alice', paidAt: 1_700_000_000_000 };
const tmp = (t: { teardown(fn: () => void): void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-keys-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('the canonical payload: fixed key order, paidAt null when missing', async (t) => {
  t.equal(canonicalPayload(order, 'K1'), '{"orderId":"S1.abcDEF123_-","sale":"S1","user":"alice","paidAt":1700000000000,"kid":"K1"}');
  t.equal(canonicalPayload({ ...order, paidAt: undefined }, 'K1'), '{"orderId":"S1.abcDEF123_-","sale":"S1","user":"alice","paidAt":null,"kid":"K1"}');
});

t.test('kid: 12 base64url characters, the same for the same public key, different for another', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = kidOf(publicKey);
  t.match(kid, /^[A-Za-z0-9_-]{12}$/);
  t.equal(kidOf(createPublicKey(privateKey)), kid);
  t.not(kidOf(generateKeyPairSync('ed25519').publicKey), kid);
});

t.test('signTicket: deterministic, verifiable, and a changed byte fails', async (t) => {
  const set = memoryKeySet();
  const key = signingKey(set);
  const one = signTicket(order, key);
  t.same(signTicket(order, key), one, 'the same order and key give the same ticket');
  t.equal(one.kid, set.current);
  t.equal(one.payload, canonicalPayload(order, set.current));
  t.match(one.signature, /^[A-Za-z0-9_-]{86}$/);
  t.ok(signatureValid(one.payload, one.signature, set.keys[0].publicKeyPem));
  t.notOk(signatureValid(one.payload.replace('alice', 'alicf'), one.signature, set.keys[0].publicKeyPem), 'tampered payload');
  t.notOk(signatureValid(one.payload, one.signature.slice(0, -2), set.keys[0].publicKeyPem), 'truncated signature');
  t.notOk(signatureValid(one.payload, one.signature, generateTicketKey().publicKeyPem), 'another key');
  t.same(parseTicket(JSON.parse(JSON.stringify(one))), { ok: true, ticket: one, payload: JSON.parse(one.payload) }, 'a ticket as issued parses');
});

t.test('parseTicket refuses what is not a ticket, with a code and the field', async (t) => {
  const ticket = signTicket(order, signingKey(memoryKeySet()));
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['a string', 'x', 'BAD_TICKET', /object/],
    ['null', null, 'BAD_TICKET', /object/],
    ['an array', [ticket], 'BAD_TICKET', /object/],
    ['no payload', { ...ticket, payload: undefined }, 'BAD_TICKET', /payload/],
    ['a huge payload', { ...ticket, payload: 'x'.repeat(513) }, 'BAD_TICKET', /payload/],
    ['a signature with +/', { ...ticket, signature: 'a+b/' }, 'BAD_TICKET', /signature/],
    ['an empty signature', { ...ticket, signature: '' }, 'BAD_TICKET', /signature/],
    ['a kid with a dot', { ...ticket, kid: 'a.b' }, 'BAD_TICKET', /kid/],
    ['a publicKey that is a number', { ...ticket, publicKey: 1 }, 'BAD_TICKET', /publicKey/],
    ['payload not JSON', { ...ticket, payload: '{' }, 'BAD_TICKET_PAYLOAD', /not JSON/],
    ['payload with spaces', { ...ticket, payload: JSON.stringify(JSON.parse(ticket.payload), null, 2) }, 'BAD_TICKET_PAYLOAD', /canonical/],
    ['payload fields reordered', { ...ticket, payload: JSON.stringify({ sale: 'S1', ...JSON.parse(ticket.payload) }) }, 'BAD_TICKET_PAYLOAD', /canonical/],
    ['payload with an extra field', { ...ticket, payload: ticket.payload.replace('}', ',"x":1}') }, 'BAD_TICKET_PAYLOAD', /canonical/],
    ['a bad order id', { ...ticket, payload: canonicalPayload({ ...order, id: 'nodot' }, ticket.kid) }, 'BAD_TICKET_PAYLOAD', /orderId/],
    ['a bad user', { ...ticket, payload: canonicalPayload({ ...order, user: 'a b' }, ticket.kid) }, 'BAD_TICKET_PAYLOAD', /user/],
    ['a fractional paidAt', { ...ticket, payload: canonicalPayload({ ...order, paidAt: 1.5 }, ticket.kid) }, 'BAD_TICKET_PAYLOAD', /paidAt/],
    ['sale not the order id\'s', { ...ticket, payload: canonicalPayload({ ...order, sale: 'S2' }, ticket.kid) }, 'BAD_TICKET_PAYLOAD', /sale/],
    ['kid not the payload\'s', { ...ticket, kid: 'OTHERKID' }, 'BAD_TICKET_PAYLOAD', /kid/],
  ];
  for (const [what, value, error, problem] of cases) {
    const parsed = parseTicket(value);
    t.match(parsed, { ok: false, error, problem }, what);
  }
  t.ok(parseTicket({ ...ticket, payload: canonicalPayload({ ...order, user: '' }, ticket.kid) }).ok, 'an anonymous buyer\'s ticket is well-formed');
  t.ok(parseTicket({ payload: ticket.payload, signature: ticket.signature, kid: ticket.kid }).ok, 'publicKey is optional');
});

t.test('key directory: rotation makes a new current key, old keys stay; modes 0700 / 0600', async (t) => {
  const dir = join(tmp(t), 'keys');
  t.equal(ensureKeyDir(dir), true, 'made with one key');
  t.equal(ensureKeyDir(dir), false, 'a second call leaves it as it is');
  const one = loadKeyDir(dir);
  t.equal(one.keys.length, 1);
  t.equal(statSync(dir).mode & 0o777, 0o700);
  t.equal(statSync(join(dir, `${one.current}.pem`)).mode & 0o777, 0o600);
  const added = rotateKey(dir);
  const two = loadKeyDir(dir);
  t.equal(two.current, added.kid, 'the new key signs');
  t.same(two.keys.map((k) => k.kid).sort(), [one.current, added.kid].sort(), 'both verify');
  t.equal(readFileSync(join(dir, 'current'), 'utf8'), `${added.kid}\n`);
  t.notOk(sameKeySet(one, two));
  t.ok(sameKeySet(two, loadKeyDir(dir)));
  t.same(publicKeysOf(two).map((k) => [k.kid, k.alg, k.crv]), two.keys.map((k) => [k.kid, 'EdDSA', 'Ed25519']));
  writeFileSync(join(dir, '.current.123.tmp'), 'junk');
  writeFileSync(join(dir, 'README'), 'not a key');
  t.ok(sameKeySet(two, loadKeyDir(dir)), 'temporary files and other names are ignored');
});

t.test('key directory: what cannot be used is refused with a code that names the file', async (t) => {
  const base = tmp(t);
  t.throws(() => loadKeyDir(join(base, 'missing')), { code: 'ERR_TICKET_KEYS_DIR', message: /cannot read the ticket key directory .*missing/ });
  const empty = join(base, 'empty');
  mkdirSync(empty);
  t.throws(() => loadKeyDir(empty), { code: 'ERR_TICKET_KEYS_EMPTY', message: /no <kid>\.pem key in .*empty: make one with ticket-spike tickets rotate-key/ });

  const garbage = join(base, 'garbage');
  rotateKey(garbage);
  writeFileSync(join(garbage, 'zzz.pem'), 'not a pem');
  t.throws(() => loadKeyDir(garbage), { code: 'ERR_TICKET_KEY_FILE', message: /zzz\.pem is not a PEM private key/ });

  const rsa = join(base, 'rsa');
  rotateKey(rsa);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  writeFileSync(join(rsa, 'r.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  t.throws(() => loadKeyDir(rsa), { code: 'ERR_TICKET_KEY_FILE', message: /r\.pem is a rsa key, not Ed25519/ });

  const misnamed = join(base, 'misnamed');
  const k = rotateKey(misnamed);
  renameSync(join(misnamed, `${k.kid}.pem`), join(misnamed, 'mine.pem'));
  writeFileSync(join(misnamed, 'current'), 'mine');
  t.throws(() => loadKeyDir(misnamed), { code: 'ERR_TICKET_KEY_FILE', message: new RegExp(`mine\\.pem holds key ${k.kid}: .*rename it to ${k.kid}\\.pem`) });

  const badCurrent = join(base, 'bad-current');
  rotateKey(badCurrent);
  writeFileSync(join(badCurrent, 'current'), 'nope');
  t.throws(() => loadKeyDir(badCurrent), { code: 'ERR_TICKET_KEYS_CURRENT', message: /names "nope", which is not a key/ });

  const noCurrent = join(base, 'no-current');
  rotateKey(noCurrent);
  rotateKey(noCurrent);
  rmSync(join(noCurrent, 'current'));
  t.throws(() => loadKeyDir(noCurrent), { code: 'ERR_TICKET_KEYS_CURRENT', message: /holds 2 keys and no current file/ });

  const single = join(base, 'single');
  const only = rotateKey(single);
  rmSync(join(single, 'current'));
  t.equal(loadKeyDir(single).current, only.kid, 'one key and no current file: that key signs');
});
