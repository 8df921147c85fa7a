// src/auth/queue-tokens.ts: a waiting room's signed queue tickets and purchase passes — what they carry back, and
// everything they refuse: a changed payload or mac, another secret, one kind read as the other, oversized or
// malformed text, and payloads that are signed but not a ticket or a pass.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { MAX_QUEUE_TOKEN_LENGTH, QueueTokens, type QueuePass, type QueueTicket } from '../../src/auth/queue-tokens.js';

const secret = Buffer.alloc(32, 7);
const tokens = new QueueTokens(secret);

const preTicket: QueueTicket = { sale: 'S1', user: 'alice', place: null, arrival: 41, joinedAt: 1_700_000_000_000 };
const lateTicket: QueueTicket = { sale: 'S1', user: 'bob', place: 1234, arrival: null, joinedAt: 1_700_000_100_000 };
const upgraded: QueueTicket = { ...preTicket, place: 7 }; // a pre-queue ticket once the permutation gave it a place
const pass: QueuePass = { sale: 'S1', user: 'alice', place: 7, expiresAt: 1_700_000_300_000, joinedAt: 1_700_000_000_000 };

/**
 * Signs any payload text the way a holder of the secret would (HMAC-SHA256 over `domain|body`, 16 bytes kept): the
 * refusals below must come from the payload checks, not from a bad mac. The first test pins it to the real signer.
 */
const signRaw = (domain: string, json: string, key = secret): string => {
  const body = Buffer.from(json).toString('base64url');
  return signBody(domain, body, key);
};
const signBody = (domain: string, body: string, key = secret): string =>
  `${body}.${createHmac('sha256', key).update(domain).update('|').update(body).digest().subarray(0, 16).toString('base64url')}`;

const bodyOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));

t.test('the test signer makes the same tokens as QueueTokens', async (t) => {
  const one = tokens.ticket(lateTicket);
  t.equal(signRaw('queue', JSON.stringify(bodyOf(one))), one, 'a queue ticket');
  const two = tokens.pass(pass);
  t.equal(signRaw('pass', JSON.stringify(bodyOf(two))), two, 'a pass');
});

t.test('round trip: a pre-queue ticket, a late one, an upgraded one, a pass', async (t) => {
  for (const [what, ticket] of [['pre-queue: place null + arrival', preTicket], ['late: a place', lateTicket], ['pre-queue with its place', upgraded]] as const) {
    const text = tokens.ticket(ticket);
    t.match(text, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/, `${what}: base64url payload, a 128-bit mac`);
    t.ok(text.length <= MAX_QUEUE_TOKEN_LENGTH);
    t.same(tokens.readTicket(text), ticket, what);
    t.same(new QueueTokens(Buffer.from(secret)).readTicket(text), ticket, `${what}: another node with the same secret reads it`);
  }
  const text = tokens.pass(pass);
  t.same(tokens.readPass(text), pass, 'a pass');
  t.same(tokens.readTicket(tokens.ticket({ ...lateTicket, place: 0, joinedAt: 0 })), { ...lateTicket, place: 0, joinedAt: 0 }, 'place 0 and time 0 are counts too');
  t.same(tokens.readPass(tokens.pass({ ...pass, place: 0 })), { ...pass, place: 0 }, 'a pass for place 0');
  t.not(tokens.ticket(lateTicket), tokens.ticket({ ...lateTicket, user: 'bob2' }), 'another buyer, another token');
});

t.test('a changed payload or mac is refused', async (t) => {
  const text = tokens.ticket(lateTicket);
  const [body, mac] = text.split('.');
  t.ok(tokens.readTicket(text), 'the original reads');
  const moved = Buffer.from(JSON.stringify({ ...bodyOf(text), p: 0 })).toString('base64url');
  t.equal(tokens.readTicket(`${moved}.${mac}`), null, 'a better place under the old mac');
  const otherUser = tokens.ticket({ ...lateTicket, user: 'mallory' }).split('.')[0];
  t.equal(tokens.readTicket(`${otherUser}.${mac}`), null, "another buyer's payload under this mac");
  const flipped = (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
  t.equal(tokens.readTicket(`${body}.${flipped}`), null, 'one character of the mac changed');
  t.equal(tokens.readTicket(`${body}.${mac.slice(0, -2)}`), null, 'a truncated mac');
  t.equal(tokens.readTicket(`${body}.${mac}${mac}`), null, 'a mac twice as long');
  t.equal(tokens.readTicket(`${body}.`), null, 'no mac');
  const full = createHmac('sha256', secret).update('queue').update('|').update(body).digest().toString('base64url');
  t.equal(tokens.readTicket(`${body}.${full}`), null, 'the untruncated 256-bit mac is not the token');

  const passText = tokens.pass(pass);
  const [passBody, passMac] = passText.split('.');
  const later = Buffer.from(JSON.stringify({ ...bodyOf(passText), e: pass.expiresAt + 3_600_000 })).toString('base64url');
  t.equal(tokens.readPass(`${later}.${passMac}`), null, 'a pass made to last an hour longer');
  t.equal(tokens.readPass(`${passBody}.${(passMac[0] === 'A' ? 'B' : 'A') + passMac.slice(1)}`), null, "a pass's mac changed");
});

t.test('a token signed with another secret is refused', async (t) => {
  const other = new QueueTokens(Buffer.alloc(32, 8));
  t.equal(tokens.readTicket(other.ticket(lateTicket)), null, 'a ticket');
  t.equal(tokens.readPass(other.pass(pass)), null, 'a pass');
  t.equal(other.readTicket(tokens.ticket(lateTicket)), null, 'and the other way round');
  t.equal(tokens.readTicket(signRaw('queue', JSON.stringify(bodyOf(tokens.ticket(lateTicket))), Buffer.alloc(32, 9))), null, 'the same payload, another key');
});

t.test('domain separation: a queue ticket is never a pass, nor a pass a ticket', async (t) => {
  t.equal(tokens.readPass(tokens.ticket(upgraded)), null, 'a queue ticket offered as a pass');
  t.equal(tokens.readTicket(tokens.pass(pass)), null, 'a pass offered as a queue ticket');
  // The two shapes differ, so the above would fail on the fields alone. A payload with every field of both is a
  // good ticket and a good pass by shape: only the domain in the mac tells them apart.
  const both = JSON.stringify({ s: 'S1', u: 'alice', p: 7, a: null, t: 1_700_000_000_000, e: 1_700_000_300_000, j: 1_700_000_000_000 });
  const asTicket = signRaw('queue', both);
  const asPass = signRaw('pass', both);
  t.same(tokens.readTicket(asTicket), { sale: 'S1', user: 'alice', place: 7, arrival: null, joinedAt: 1_700_000_000_000 }, 'signed as a ticket: a ticket');
  t.same(tokens.readPass(asPass), { sale: 'S1', user: 'alice', place: 7, expiresAt: 1_700_000_300_000, joinedAt: 1_700_000_000_000 }, 'signed as a pass: a pass');
  t.equal(tokens.readPass(asTicket), null, 'signed as a ticket, refused as a pass');
  t.equal(tokens.readTicket(asPass), null, 'signed as a pass, refused as a ticket');
  t.equal(tokens.readTicket(signRaw('queue|', both)), null, 'the domain is the exact word');
  t.equal(tokens.readTicket(signRaw('', both)), null, 'and not empty');
});

t.test('text over MAX_QUEUE_TOKEN_LENGTH is refused unread, text up to it is read', async (t) => {
  // Validly signed tokens by user name length; the longest one up to the limit is read, the shortest past it is
  // refused (an unpadded base64url payload is never 1 mod 4 long, so exactly 512 cannot be made this way).
  const byLength = new Map<number, string>();
  for (let n = 1; n < 600; n++) {
    const text = tokens.ticket({ ...lateTicket, user: 'u'.repeat(n) });
    byLength.set(text.length, text);
  }
  const lengths = [...byLength.keys()];
  const under = Math.max(...lengths.filter((l) => l <= MAX_QUEUE_TOKEN_LENGTH));
  const over = Math.min(...lengths.filter((l) => l > MAX_QUEUE_TOKEN_LENGTH));
  t.ok(under >= MAX_QUEUE_TOKEN_LENGTH - 1 && over <= MAX_QUEUE_TOKEN_LENGTH + 1, `${under} and ${over} around ${MAX_QUEUE_TOKEN_LENGTH}`);
  t.ok(tokens.readTicket(byLength.get(under) ?? ''), `${under} characters: read`);
  t.equal(tokens.readTicket(byLength.get(over) ?? ''), null, `${over} characters: refused though its mac is good`);
  const bigPass = tokens.pass({ ...pass, user: 'u'.repeat(600) });
  t.equal(tokens.readPass(bigPass), null, 'a pass over the limit too');
});

t.test('malformed text: no dot, an empty payload, garbage base64, not JSON, not an object', async (t) => {
  const text = tokens.ticket(lateTicket);
  for (const [what, bad] of [
    ['empty', ''],
    ['no dot', text.replace('.', '')],
    ['only a mac', `.${text.split('.')[1]}`],
    ['a dot alone', '.'],
  ] as const) {
    t.equal(tokens.readTicket(bad), null, what);
    t.equal(tokens.readPass(bad), null, `${what} (as a pass)`);
  }
  // These are signed with the secret: only the payload check refuses them.
  t.equal(tokens.readTicket(signBody('queue', '!!!!')), null, 'a payload that is not base64url');
  t.equal(tokens.readTicket(signBody('queue', Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('base64url'))), null, 'bytes that are not JSON');
  t.equal(tokens.readTicket(signRaw('queue', '{"s":"S1"')), null, 'cut-off JSON');
  t.equal(tokens.readTicket(signRaw('queue', JSON.stringify(['S1', 'bob', 1234, null, 1_700_000_100_000]))), null, 'a JSON array');
  t.equal(tokens.readTicket(signRaw('queue', 'null')), null, 'null');
  t.equal(tokens.readTicket(signRaw('queue', '1234')), null, 'a number');
  t.equal(tokens.readTicket(signRaw('queue', '"S1"')), null, 'a string');
  t.equal(tokens.readPass(signRaw('pass', JSON.stringify([pass]))), null, 'a pass in an array');
});

t.test('signed but not a ticket: bad numbers, wrong types, missing fields, neither place nor arrival', async (t) => {
  // ticket() and pass() sign whatever they are given: the reader is the gate.
  const refusedTickets: Array<[string, QueueTicket]> = [
    ['a negative place', { ...lateTicket, place: -1 }],
    ['a fractional place', { ...lateTicket, place: 1.5 }],
    ['a negative arrival', { ...preTicket, arrival: -3 }],
    ['a fractional arrival', { ...preTicket, arrival: 0.25 }],
    ['a negative joinedAt', { ...lateTicket, joinedAt: -1 }],
    ['a fractional joinedAt', { ...lateTicket, joinedAt: 1.5 }],
    ['a place past the safe integers', { ...lateTicket, place: 2 ** 53 }],
    ['neither place nor arrival', { ...lateTicket, place: null, arrival: null }],
  ];
  for (const [what, ticket] of refusedTickets) t.equal(tokens.readTicket(tokens.ticket(ticket)), null, what);
  const refusedRaw: Array<[string, object]> = [
    ['a place as text', { s: 'S1', u: 'bob', p: '1234', a: null, t: 1 }],
    ['no place field', { s: 'S1', u: 'bob', a: null, t: 1 }],
    ['no arrival field', { s: 'S1', u: 'bob', p: 1, t: 1 }],
    ['no joinedAt', { s: 'S1', u: 'bob', p: 1, a: null }],
    ['a numeric sale', { s: 1, u: 'bob', p: 1, a: null, t: 1 }],
    ['no user', { s: 'S1', p: 1, a: null, t: 1 }],
    ['a boolean arrival', { s: 'S1', u: 'bob', p: null, a: true, t: 1 }],
  ];
  for (const [what, payload] of refusedRaw) t.equal(tokens.readTicket(signRaw('queue', JSON.stringify(payload))), null, what);
  t.same(tokens.readTicket(signRaw('queue', JSON.stringify({ s: 'S1', u: 'bob', p: 3, a: 5, t: 1 }))), { sale: 'S1', user: 'bob', place: 3, arrival: 5, joinedAt: 1 }, 'both place and arrival: read');

  const refusedPasses: Array<[string, QueuePass]> = [
    ['a negative place', { ...pass, place: -1 }],
    ['a fractional place', { ...pass, place: 7.5 }],
    ['a negative expiry', { ...pass, expiresAt: -1 }],
    ['a fractional expiry', { ...pass, expiresAt: 1.5 }],
    ['a negative joinedAt', { ...pass, joinedAt: -1 }],
    ['a fractional joinedAt', { ...pass, joinedAt: 0.5 }],
  ];
  for (const [what, p] of refusedPasses) t.equal(tokens.readPass(tokens.pass(p)), null, `pass: ${what}`);
  const rawPass = { s: 'S1', u: 'alice', p: 7, e: 2, j: 1 };
  t.ok(tokens.readPass(signRaw('pass', JSON.stringify(rawPass))), 'the raw pass reads');
  for (const field of ['s', 'u', 'p', 'e', 'j'] as const) {
    const { [field]: _, ...rest } = rawPass;
    t.equal(tokens.readPass(signRaw('pass', JSON.stringify(rest))), null, `pass without ${field}`);
  }
  t.equal(tokens.readPass(signRaw('pass', JSON.stringify({ ...rawPass, p: null }))), null, 'a pass has a place, never null');
});
