import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigner } from 'fast-jwt';
import { AuthError, BuyerTokens } from '../../src/auth/buyer-tokens.js';
import { checkPaymentSignature, signPayment } from '../../src/auth/payment-signature.js';
import { parseNodeArgs } from '../../src/cli/node.js';
import { ConfigError } from '../../src/config/errors.js';
import { bearerMatches, gateRejection } from '../../src/http/bearer.js';

const SECRET = 'a-shared-hs256-secret-of-32-chars!!';
const noUp = () => undefined;
const exp = () => Math.floor(Date.now() / 1000) + 600;

t.test('buyer tokens: the sub of a valid token, an AuthError with a code otherwise', async (t) => {
  const tokens = new BuyerTokens({ hs256Secret: SECRET, issuer: 'login', audience: 'tickets' });
  const sign = createSigner({ key: SECRET, algorithm: 'HS256' });
  const good = sign({ sub: 'alice', exp: exp(), iss: 'login', aud: 'tickets' });
  t.equal(tokens.buyerOf(`Bearer ${good}`), 'alice');
  t.equal(tokens.buyerOf(`bearer ${good}`), 'alice', 'the scheme is case-insensitive');
  const refused: Array<[string, string]> = [
    ['', 'TOKEN_MISSING'],
    [`Basic ${good}`, 'TOKEN_MISSING'],
    [`Bearer ${sign({ sub: 'alice', exp: exp(), iss: 'other', aud: 'tickets' })}`, 'TOKEN_INVALID'],
    [`Bearer ${sign({ sub: 'alice', exp: exp(), iss: 'login', aud: 'other' })}`, 'TOKEN_INVALID'],
    [`Bearer ${sign({ sub: 'alice', iss: 'login', aud: 'tickets' })}`, 'TOKEN_INVALID'],
    [`Bearer ${sign({ sub: 'a b', exp: exp(), iss: 'login', aud: 'tickets' })}`, 'TOKEN_SUBJECT'],
    [`Bearer ${createSigner({ key: 'y'.repeat(40), algorithm: 'HS256' })({ sub: 'alice', exp: exp(), iss: 'login', aud: 'tickets' })}`, 'TOKEN_INVALID'],
    [`Bearer ${createSigner({ algorithm: 'none' })({ sub: 'alice', exp: exp(), iss: 'login', aud: 'tickets' })}`, 'TOKEN_INVALID'],
  ];
  for (const [header, code] of refused) t.throws(() => tokens.buyerOf(header), { name: 'AuthError', code }, `${code}: ${header.slice(0, 30)}`);
  t.ok(new AuthError('TOKEN_MISSING', 'x') instanceof Error);
  const ed = generateKeyPairSync('ed25519');
  const edTokens = new BuyerTokens({ publicKeyPem: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
  const edToken = createSigner({ key: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm: 'EdDSA' })({ sub: 'bo', exp: exp() });
  t.equal(edTokens.buyerOf(`Bearer ${edToken}`), 'bo', 'an Ed25519 key verifies EdDSA tokens');
  t.throws(() => edTokens.buyerOf(`Bearer ${good}`), { code: 'TOKEN_INVALID' }, 'and refuses HS256 ones');
});

t.test('buyer tokens living longer than JWT_MAX_AGE are refused, remembered ones too', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const sign = createSigner({ key: SECRET, algorithm: 'HS256' });
  const day = new BuyerTokens({ hs256Secret: SECRET });
  t.equal(day.buyerOf(`Bearer ${sign({ sub: 'a', iat: now - 3600, exp: now + 23 * 3600 })}`), 'a', 'exp - iat = 24 h: the default accepts it');
  t.equal(day.buyerOf(`Bearer ${sign({ sub: 'a', exp: now + 3600 })}`), 'a', 'no iat, an hour ahead: fine');
  const tooLong: Array<[object, string]> = [
    [{ sub: 'a', iat: now, exp: now + 25 * 3600 }, 'exp - iat 25 h'],
    [{ sub: 'a', exp: now + 5 * 365 * 86400 }, 'no iat, exp five years ahead'],
    [{ sub: 'a', iat: now - 10 * 86400, exp: now + 600 }, 'issued ten days ago for ten days and ten minutes'],
    [{ sub: 'a', iat: now + 10 * 365 * 86400 - 60, exp: now + 10 * 365 * 86400 }, 'exp ten years ahead, iat a minute before it (in the future)'],
  ];
  for (const [claims, what] of tooLong) t.throws(() => day.buyerOf(`Bearer ${sign(claims)}`), { name: 'AuthError', code: 'TOKEN_TOO_LONG_LIVED', message: /JWT_MAX_AGE/ }, what);
  const hour = new BuyerTokens({ hs256Secret: SECRET, maxAgeSeconds: 3600 });
  t.throws(() => hour.buyerOf(`Bearer ${sign({ sub: 'a', exp: now + 2 * 3600 })}`), { code: 'TOKEN_TOO_LONG_LIVED' }, 'JWT_MAX_AGE=3600: two hours is too long');
  const ed = generateKeyPairSync('ed25519');
  const cached = new BuyerTokens({ publicKeyPem: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), maxAgeSeconds: 3600 });
  const long = createSigner({ key: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm: 'EdDSA' })({ sub: 'bo', exp: now + 7200 });
  for (let i = 0; i < 2; i++) t.throws(() => cached.buyerOf(`Bearer ${long}`), { code: 'TOKEN_TOO_LONG_LIVED' }, `EdDSA, try ${i + 1}: the verifier's cache does not skip the check`);
  const cfg = parseNodeArgs([], { JWT_SECRET: SECRET, JWT_MAX_AGE: '600' }, noUp);
  t.equal(cfg !== 'help' && cfg.jwt?.maxAgeSeconds, 600, 'JWT_MAX_AGE reaches the config');
  t.equal((parseNodeArgs([], { JWT_SECRET: SECRET }, noUp) as { jwt: { maxAgeSeconds: number } }).jwt.maxAgeSeconds, 86_400, 'default 24 h');
});

t.test('the admin and gate tokens: exact match only', async (t) => {
  const token = 'the-admin-token-0123';
  t.ok(bearerMatches(`Bearer ${token}`, token));
  t.ok(bearerMatches(`bearer  ${token} `, token), 'scheme case and spaces');
  for (const wrong of ['', 'Bearer', `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `Bearer x${token}`, `Bearer ${token.toUpperCase()}`, `Basic ${token}`, `Bearer ${token} extra`]) {
    t.notOk(bearerMatches(wrong, token), JSON.stringify(wrong));
  }
  t.notOk(bearerMatches('', ''), 'an empty header never matches, even an empty token');
  t.same(gateRejection(`Bearer ${token}`, null, token), null, 'the admin token checks tickets in');
  t.same(gateRejection('Bearer gate-token-0123456', 'gate-token-0123456', token), null, 'the gate token');
  t.match(gateRejection(`Bearer ${token}`, 'gate-token-0123456', null), { status: 401, error: 'UNAUTHORIZED' }, 'the admin token of another node: 401');
  t.match(gateRejection('', null, null), { status: 401, error: 'GATE_DISABLED' });
});

t.test("payment signatures: over the time, the order and the body; within 300 s", async (t) => {
  const now = 1_800_000_000;
  const header = signPayment(SECRET, 'S.order1', '{"amount":1}', now);
  t.match(checkPaymentSignature(header, 'S.order1', '{"amount":1}', SECRET, now + 10), { ok: true, signature: /^[0-9a-f]{64}$/ });
  t.match(checkPaymentSignature(header, 'S.order2', '{"amount":1}', SECRET, now), { ok: false }, 'another order');
  t.match(checkPaymentSignature(header, 'S.order1', '{"amount":2}', SECRET, now), { ok: false }, 'another body');
  t.match(checkPaymentSignature(header, 'S.order1', '{"amount":1}', 'z'.repeat(40), now), { ok: false }, 'another secret');
  t.match(checkPaymentSignature(header, 'S.order1', '{"amount":1}', SECRET, now + 301), { ok: false, problem: /300 s/ }, 'too old');
  t.match(checkPaymentSignature('v1=abc', 'S.order1', '', SECRET, now), { ok: false, problem: /Payment-Signature: t=/ }, 'malformed');
});

t.test('node flags: authentication settings are checked together', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-authcfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pem = join(dir, 'k.pem');
  writeFileSync(pem, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  const notPem = join(dir, 'k.txt');
  writeFileSync(notPem, 'hello');
  const off = parseNodeArgs([], {}, noUp);
  t.match(off, { jwt: null, paymentSecret: null }, 'off by default (the demo)');
  t.match(parseNodeArgs([], { JWT_SECRET: SECRET, PAYMENT_WEBHOOK_SECRET: SECRET }, noUp), { jwt: { hs256Secret: SECRET }, paymentSecret: SECRET });
  t.match(parseNodeArgs(['--jwt-public-key-file', pem], {}, noUp), { jwt: { publicKeyPem: /BEGIN PUBLIC KEY/ } });
  const bad: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [[], { JWT_SECRET: 'short' }, /^JWT_SECRET \(or --jwt-secret-file\): use at least 32/],
    [['--jwt-public-key-file', pem], { JWT_SECRET: SECRET }, /either an HS256 secret or --jwt-public-key-file/],
    [['--jwt-public-key-file', join(dir, 'missing.pem')], {}, /cannot read/],
    [['--jwt-public-key-file', notPem], {}, /not an SPKI PEM public key/],
    [[], { PAYMENT_WEBHOOK_SECRET: SECRET }, /turn it on too/],
  ];
  for (const [argv, env, message] of bad) t.throws(() => parseNodeArgs(argv, env, noUp), { name: 'ConfigError', message }, String(message));
  t.ok(new ConfigError('x', 'y') instanceof Error);
});
