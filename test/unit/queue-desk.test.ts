// src/sale/queue-desk.ts: one thread's side of a waiting room, with a fake join script, a fake clock and a sale
// whose QueueBoard the test publishes into (as the keeper would): what a poll answers in every state, what a
// purchase's pass check refuses, and the token a join gives.
import t from 'tap';
import { QueueTokens, type QueuePass, type QueueTicket } from '../../src/auth/queue-tokens.js';
import { QueueBoard, type QueueLineState } from '../../src/sale/queue-board.js';
import { QueueDesk } from '../../src/sale/queue-desk.js';
import { QueueOrder } from '../../src/sale/queue-order.js';
import type { QueueJoin } from '../../src/sale/queue-scripts.js';
import type { SaleInfo } from '../../src/sale/types.js';
import { QUEUE_WAIT_BUCKETS } from '../../src/metrics/queue-metrics.js';

const secret = Buffer.alloc(32, 3);
const tokens = new QueueTokens(secret);
const KEY = '5a0c7e91d2b34f6a8810c3e5f7092b4d';
const OPENS_AT = 1_800_000_000_000;
const PASS_SECONDS = 60;
const JOINED_AT = OPENS_AT - 600_000;

const saleOf = (id: string, queue: SharedArrayBuffer | null): SaleInfo => ({
  id, slot: 0, total: 100, anonymous: false, perUserLimit: 1, holdSeconds: 60, opensAt: OPENS_AT, closesAt: null, idKey: null, train: null, queue,
});

/** A desk with the secret, a sale with a board switched on, a clock the test moves and a join script it answers. */
const setup = (withSecret = true) => {
  const board = QueueBoard.create({ on: true, opensAt: OPENS_AT, passSeconds: PASS_SECONDS });
  const sale = saleOf('S1', board.buffer);
  const clock = { now: OPENS_AT - 30_000 };
  const joins: Array<[string, string]> = [];
  let answer: QueueJoin = { kind: 'none' };
  let again: QueueJoin | null = null;
  const desk = new QueueDesk(async (saleId, ask) => {
    joins.push([saleId, ask.again === undefined ? ask.user : `${ask.user} ${ask.again}`]);
    return ask.again !== undefined && again !== null ? again : answer;
  }, () => clock.now);
  if (withSecret) desk.useSecret(secret);
  // Every place below the position admitted, unless a test marks them itself (`allAdmitted` false: a skip).
  const publish = (over: Partial<QueueLineState>, allAdmitted = true) => {
    const served = over.served ?? 0;
    if (allAdmitted && served > 0) board.markAdmitted(0, Buffer.alloc(Math.ceil(served / 8), 0xff), served);
    board.publish({ on: true, opened: false, soldOut: false, served: 0, line: 0, pre: 0, key: '', passSeconds: PASS_SECONDS, opensAt: OPENS_AT, rate: 0, ...over });
  };
  return { board, sale, clock, desk, joins, publish, answerWith: (a: QueueJoin) => (answer = a), againWith: (a: QueueJoin) => (again = a) };
};

const late = (place: number, user = 'bob'): QueueTicket => ({ sale: 'S1', user, place, arrival: null, joinedAt: JOINED_AT });
const pre = (arrival: number, user = 'alice'): QueueTicket => ({ sale: 'S1', user, place: null, arrival, joinedAt: JOINED_AT });

t.test('status: null for a token that is not this sale’s, or before the secret is loaded', async (t) => {
  const { desk, sale, publish } = setup();
  publish({ served: 0, line: 100, rate: 5 });
  const good = tokens.ticket(late(10));
  t.ok(desk.status(sale, good), 'the good token answers');
  t.equal(desk.status(sale, tokens.ticket({ ...late(10), sale: 'S2' })), null, "another sale's token");
  t.equal(desk.status(sale, new QueueTokens(Buffer.alloc(32, 4)).ticket(late(10))), null, 'signed with another secret');
  t.equal(desk.status(sale, `${good.split('.')[0]}.${'A'.repeat(22)}`), null, 'a forged mac');
  t.equal(desk.status(sale, 'garbage'), null, 'garbage');
  t.equal(desk.status(sale, ''), null, 'empty');
  t.equal(desk.status(sale, tokens.pass({ sale: 'S1', user: 'bob', place: 10, expiresAt: OPENS_AT, joinedAt: JOINED_AT })), null, 'a pass is not a queue token');
  const early = setup(false);
  early.publish({ served: 0, line: 100, rate: 5 });
  t.equal(early.desk.status(early.sale, good), null, 'no secret yet');
  t.equal(early.desk.ready, false);
  early.desk.useSecret(secret);
  t.ok(early.desk.status(early.sale, good), 'the secret arrived: it answers');
  early.desk.useSecret(Buffer.alloc(32, 4));
  t.equal(early.desk.status(early.sale, good), null, 'the secret changed: old tokens refused');
});

t.test("status: 'off' when the board is off or the sale has no waiting room", async (t) => {
  const { desk, sale, publish, board } = setup();
  publish({ on: false, served: 0, line: 100, rate: 5 });
  t.same(desk.status(sale, tokens.ticket(late(10))), { state: 'off', pollSeconds: 10 });
  t.same(desk.status(sale, tokens.ticket(pre(3))), { state: 'off', pollSeconds: 10 }, 'a pre-queue token too');
  t.same(desk.status(saleOf('S1', null), tokens.ticket(late(10))), { state: 'off', pollSeconds: 10 }, 'no board at all');
  t.equal(board.counters().polls, 0, 'nothing marked');
});

t.test("status: 'pre-queue' before the key, with the time to the opening", async (t) => {
  const { desk, sale, clock, publish, board } = setup();
  publish({ pre: 4, line: 4 });
  const token = tokens.ticket(pre(3));
  clock.now = OPENS_AT - 30_000;
  t.same(desk.status(sale, token), { state: 'pre-queue', place: null, opensAt: OPENS_AT, etaSeconds: 30, pollSeconds: 5 });
  clock.now = OPENS_AT - 4_500;
  t.same(desk.status(sale, token), { state: 'pre-queue', place: null, opensAt: OPENS_AT, etaSeconds: 5, pollSeconds: 2 }, 'near the opening: rounded up, polled more often');
  clock.now = OPENS_AT + 700;
  t.same(desk.status(sale, token), { state: 'pre-queue', place: null, opensAt: OPENS_AT, etaSeconds: 0, pollSeconds: 2 }, 'past the opening, key not here yet: 0, never negative');
  t.equal(board.counters().polls, 0, 'no place to mark yet');
});

t.test('status: after the key the pre-queue token gets its permuted place and an upgraded token', async (t) => {
  const { desk, sale, clock, publish, board } = setup();
  const n = 10;
  const order = new QueueOrder(KEY, n);
  const arrival = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].find((a) => order.placeOf(a) !== a && order.placeOf(a) !== n - 1 - a) ?? 0;
  const place = order.placeOf(arrival);
  t.not(place, arrival, `arrival ${arrival} goes to place ${place}: not the identity`);
  clock.now = OPENS_AT + 1000;
  publish({ opened: true, pre: n, line: n + 5, key: KEY, served: 0, rate: 2 });
  const ticket = pre(arrival);
  const answer = desk.status(sale, tokens.ticket(ticket));
  t.match(answer, { state: 'waiting', place, position: place + 1, ahead: place, etaSeconds: Math.ceil(place / 2), pollSeconds: 2, token: String }, 'waiting at the permuted place, with a new token');
  const upgraded = answer !== null && 'token' in answer ? answer.token : undefined;
  t.same(tokens.readTicket(upgraded ?? ''), { ...ticket, place }, 'the new token: the same buyer, arrival and time, with the place');
  const again = desk.status(sale, upgraded ?? '');
  t.same(again, { state: 'waiting', place, position: place + 1, ahead: place, etaSeconds: Math.ceil(place / 2), pollSeconds: 2 }, 'the upgraded token answers the same, with no new token');
  t.equal(board.liveBits(0, 16).readUInt16BE(0), 0x8000 >>> place, 'the permuted place is the one marked live');
  t.same(new Set(Array.from({ length: n }, (_, a) => {
    const s = desk.status(sale, tokens.ticket(pre(a, `u${a}`)));
    return s !== null && 'place' in s ? s.place : -1;
  })), new Set(Array.from({ length: n }, (_, p) => p)), 'the ten pre-queue joiners get the ten places');
  t.same(desk.status(sale, tokens.ticket(pre(n))), { state: 'pre-queue', place: null, opensAt: OPENS_AT, etaSeconds: 0, pollSeconds: 2 }, 'an arrival past the pre-queue this node knows: still waiting for it');

  // The pre-queue token of a buyer already served: admitted, and the new token comes along.
  board.checkpoint(n, OPENS_AT + 2000);
  publish({ opened: true, pre: n, line: n + 5, key: KEY, served: n, rate: 2 });
  const admitted = desk.status(sale, tokens.ticket(ticket));
  t.match(admitted, { state: 'admitted', place, passExpiresAt: OPENS_AT + 2000 + PASS_SECONDS * 1000, token: String }, 'served: admitted, with the new token');
});

t.test("status: 'waiting' with position, ahead and eta from the rate", async (t) => {
  const { desk, sale, clock, publish } = setup();
  clock.now = OPENS_AT + 5000;
  publish({ opened: true, served: 20, line: 10_000, rate: 10 });
  t.same(desk.status(sale, tokens.ticket(late(50))), { state: 'waiting', place: 50, position: 31, ahead: 30, etaSeconds: 3, pollSeconds: 2 }, 'near the front: poll every 2 s');
  t.same(desk.status(sale, tokens.ticket(late(20))), { state: 'waiting', place: 20, position: 1, ahead: 0, etaSeconds: 0, pollSeconds: 2 }, 'next in line');
  t.same(desk.status(sale, tokens.ticket(late(5020))), { state: 'waiting', place: 5020, position: 5001, ahead: 5000, etaSeconds: 500, pollSeconds: 5 }, 'far back: every 5 s');
  t.same(desk.status(sale, tokens.ticket(late(220))), { state: 'waiting', place: 220, position: 201, ahead: 200, etaSeconds: 20, pollSeconds: 2 }, 'ahead < 256: near');
  publish({ opened: true, served: 20, line: 10_000, rate: 100 });
  t.same(desk.status(sale, tokens.ticket(late(1019))), { state: 'waiting', place: 1019, position: 1000, ahead: 999, etaSeconds: 10, pollSeconds: 2 }, 'inside 20 s of the rate: near');
  publish({ opened: true, served: 20, line: 10_000, rate: 0.5 });
  t.same(desk.status(sale, tokens.ticket(late(23))), { state: 'waiting', place: 23, position: 4, ahead: 3, etaSeconds: 6, pollSeconds: 2 }, 'a fractional rate');
  publish({ opened: true, served: 20, line: 10_000, rate: 0 });
  t.same(desk.status(sale, tokens.ticket(late(50))), { state: 'waiting', place: 50, position: 31, ahead: 30, etaSeconds: null, pollSeconds: 2 }, 'no rate yet: no eta');
  t.same(desk.status(sale, tokens.ticket(late(1000))), { state: 'waiting', place: 1000, position: 981, ahead: 980, etaSeconds: null, pollSeconds: 5 }, 'no rate, far back');
});

t.test("status: 'admitted' with a pass, then 'expired' passSeconds after the checkpoint", async (t) => {
  const { desk, sale, clock, publish, board } = setup();
  const T = OPENS_AT + 10_000;
  board.checkpoint(51, T);
  publish({ opened: true, served: 51, line: 200, rate: 10 });
  clock.now = T + 1500;
  const answer = desk.status(sale, tokens.ticket(late(50)));
  const expiresAt = T + PASS_SECONDS * 1000;
  t.match(answer, { state: 'admitted', place: 50, passExpiresAt: expiresAt, pollSeconds: 10, pass: String }, 'served: admitted, expiring passSeconds after the checkpoint');
  t.notOk(answer !== null && 'token' in answer, 'a late ticket needs no new token');
  const pass = answer !== null && answer.state === 'admitted' ? answer.pass : '';
  t.same(tokens.readPass(pass), { sale: 'S1', user: 'bob', place: 50, expiresAt, joinedAt: JOINED_AT }, 'a pass QueueTokens reads, for this buyer and place');
  t.equal(tokens.readTicket(pass), null, 'a pass, not a ticket');
  t.equal(board.counters().polls, 0, 'an admitted poll is not a liveness mark');

  board.checkpoint(90, T + 5000);
  publish({ opened: true, served: 90, line: 200, rate: 10 });
  const later = desk.status(sale, tokens.ticket(late(50)));
  t.equal(later !== null && later.state === 'admitted' ? later.passExpiresAt : null, expiresAt, 'a later checkpoint does not move the expiry');
  const next = desk.status(sale, tokens.ticket(late(51)));
  t.equal(next !== null && next.state === 'admitted' ? next.passExpiresAt : null, T + 5000 + PASS_SECONDS * 1000, 'place 51: from the checkpoint that passed it');

  clock.now = expiresAt - 1;
  t.equal(desk.status(sale, tokens.ticket(late(50)))?.state, 'admitted', 'a millisecond before: admitted');
  clock.now = expiresAt;
  t.same(desk.status(sale, tokens.ticket(late(50))), { state: 'expired', place: 50, pollSeconds: 10 }, 'at passSeconds after the checkpoint: expired');
  clock.now = expiresAt + 3_600_000;
  t.same(desk.status(sale, tokens.ticket(late(50))), { state: 'expired', place: 50, pollSeconds: 10 }, 'and after');
  t.equal(desk.status(sale, tokens.ticket(late(51)))?.state, 'expired', 'place 51 later too');
  t.equal(board.counters().expired, 0, 'a poll is not a refused purchase');
});

t.test("status: 'sold-out' even for an admitted place, and a waiting one", async (t) => {
  const { desk, sale, clock, publish, board } = setup();
  const T = OPENS_AT + 10_000;
  board.checkpoint(51, T);
  publish({ opened: true, soldOut: true, served: 51, line: 200, rate: 10 });
  clock.now = T + 1000;
  t.same(desk.status(sale, tokens.ticket(late(50))), { state: 'sold-out', place: 50, position: 1, ahead: 0, etaSeconds: 0, pollSeconds: 2 }, 'admitted but nothing left: no pass');
  t.same(desk.status(sale, tokens.ticket(late(70))), { state: 'sold-out', place: 70, position: 20, ahead: 19, etaSeconds: 2, pollSeconds: 2 }, 'waiting');
  clock.now = T + PASS_SECONDS * 1000;
  t.same(desk.status(sale, tokens.ticket(late(50))), { state: 'expired', place: 50, pollSeconds: 10 }, 'an expired pass stays expired');
  publish({ opened: true, soldOut: false, served: 51, line: 200, rate: 10 });
  clock.now = T + 1000;
  t.equal(desk.status(sale, tokens.ticket(late(50)))?.state, 'admitted', 'a hold came back: the pass again');
});

t.test('status: a poll of a waiting place marks it live', async (t) => {
  const { desk, sale, clock, publish, board } = setup();
  clock.now = OPENS_AT + 1000;
  publish({ opened: true, served: 40, line: 200, rate: 10 });
  t.same([...board.liveBits(40, 16)], [0, 0], 'nobody polled yet');
  desk.status(sale, tokens.ticket(late(42)));
  desk.status(sale, tokens.ticket(late(55, 'carol')));
  t.same([...board.liveBits(40, 16)], [0b0010_0000, 0b0000_0001], 'places 42 and 55');
  t.equal(board.counters().polls, 2, 'two polls counted');
  desk.status(sale, tokens.ticket(late(42)));
  t.equal(board.counters().polls, 3, 'every poll counted');
  board.rotate();
  board.rotate();
  t.same([...board.liveBits(40, 16)], [0, 0], 'two epochs without a poll: not live');
  publish({ opened: true, soldOut: true, served: 40, line: 200, rate: 10 });
  desk.status(sale, tokens.ticket(late(42)));
  t.same([...board.liveBits(40, 8)], [0b0010_0000], 'a sold-out poll marks it too');
});

t.test('admit: the purchase pass check', async (t) => {
  const { desk, sale, clock, publish, board } = setup();
  const expiresAt = OPENS_AT + 70_000;
  const good: QueuePass = { sale: 'S1', user: 'bob', place: 50, expiresAt, joinedAt: JOINED_AT };
  clock.now = OPENS_AT + 20_000;
  publish({ opened: true, served: 51, line: 200, rate: 10 });
  t.same(desk.admit(sale, 'bob', tokens.pass(good)), { pass: good }, 'a good pass');
  t.same(desk.admit(sale, 'bob', ''), { refused: 'missing' });
  t.same(desk.admit(sale, 'bob', 'garbage'), { refused: 'invalid' }, 'garbage');
  t.same(desk.admit(sale, 'bob', new QueueTokens(Buffer.alloc(32, 4)).pass(good)), { refused: 'invalid' }, 'forged: another secret');
  const [body] = tokens.pass(good).split('.');
  t.same(desk.admit(sale, 'bob', `${body}.${'A'.repeat(22)}`), { refused: 'invalid' }, 'forged: a made-up mac');
  t.same(desk.admit(sale, 'bob', tokens.pass({ ...good, sale: 'S2' })), { refused: 'invalid' }, "another sale's pass");
  t.same(desk.admit(sale, 'bob', tokens.ticket(late(50))), { refused: 'invalid' }, 'a queue ticket is not a pass');
  t.same(desk.admit(sale, 'mallory', tokens.pass(good)), { refused: 'other_buyer' }, "another buyer's pass");
  t.equal(board.counters().expired, 0, 'none of those counted as expired');
  clock.now = expiresAt - 1;
  t.same(desk.admit(sale, 'bob', tokens.pass(good)), { pass: good }, 'a millisecond before it expires');
  clock.now = expiresAt;
  t.same(desk.admit(sale, 'bob', tokens.pass(good)), { refused: 'expired' }, 'expired');
  t.same(desk.admit(sale, 'mallory', tokens.pass(good)), { refused: 'other_buyer' }, "another buyer's expired pass: not theirs first");
  t.equal(board.counters().expired, 1, 'the expired one counted');
  clock.now = expiresAt + 1000;
  desk.admit(sale, 'bob', tokens.pass(good));
  t.equal(board.counters().expired, 2, 'each refusal counted');

  publish({ on: false, opened: true, served: 51, line: 200, rate: 10 });
  t.equal(desk.admit(sale, 'bob', ''), null, 'board off: no pass needed');
  t.equal(desk.admit(sale, 'bob', 'garbage'), null);
  t.equal(desk.admit(saleOf('S1', null), 'bob', ''), null, 'no waiting room: no pass needed');

  const noSecret = setup(false);
  t.same(noSecret.desk.admit(noSecret.sale, 'bob', tokens.pass(good)), { refused: 'invalid' }, 'no secret yet: a pass cannot be checked');
});

t.test('bought: the wait from joining to the turn, in its bucket', async (t) => {
  const { desk, sale, publish, board } = setup();
  publish({ opened: true, served: 51, line: 200, rate: 10 });
  const turn = JOINED_AT + 45_000; // 45 s: the bucket le 60
  desk.bought(sale, { sale: 'S1', user: 'bob', place: 50, expiresAt: turn + PASS_SECONDS * 1000, joinedAt: JOINED_AT });
  const waits = new Array<number>(QUEUE_WAIT_BUCKETS.length + 1).fill(0);
  waits[QUEUE_WAIT_BUCKETS.indexOf(60)] = 1;
  t.same(board.counters(), { used: 1, expired: 0, polls: 0, waits });
  desk.bought(saleOf('S1', null), { sale: 'S1', user: 'bob', place: 50, expiresAt: turn, joinedAt: JOINED_AT });
  t.equal(board.counters().used, 1, 'a sale without a board: nothing to count');
});

t.test('join: the token and place the join script’s answer gives', async (t) => {
  const { desk, sale, publish, joins, answerWith } = setup();
  answerWith({ kind: 'joined', preQueue: false, arrival: 4, joinedAt: OPENS_AT + 5000, pre: 10, opensAt: OPENS_AT, fresh: true });
  const lateJoin = await desk.join(sale, 'bob', true);
  t.same(joins, [['S1', 'bob']], 'the script ran for this sale and buyer');
  t.match(lateJoin, { kind: 'joined', place: 14, opensAt: OPENS_AT, token: String }, 'a late joiner: place = pre + arrival');
  t.same(tokens.readTicket(lateJoin.kind === 'joined' ? lateJoin.token : ''), { sale: 'S1', user: 'bob', place: 14, arrival: null, joinedAt: OPENS_AT + 5000 });

  const order = new QueueOrder(KEY, 10);
  const arrival = [1, 2, 3, 4, 5, 6, 7, 8].find((a) => ![0, a].includes(order.placeOf(a))) ?? 1;
  const place = order.placeOf(arrival);
  answerWith({ kind: 'joined', preQueue: true, arrival, joinedAt: JOINED_AT, pre: arrival + 1, opensAt: OPENS_AT, fresh: true });
  publish({ pre: arrival + 1, line: arrival + 1 });
  const before = await desk.join(sale, 'alice', true);
  t.match(before, { kind: 'joined', place: null, opensAt: OPENS_AT, token: String }, 'a pre-queue joiner before the key: no place');
  t.same(tokens.readTicket(before.kind === 'joined' ? before.token : ''), { sale: 'S1', user: 'alice', place: null, arrival, joinedAt: JOINED_AT }, 'its arrival in the token');

  publish({ opened: true, pre: 10, line: 15, key: KEY, served: 0, rate: 2 });
  const after = await desk.join(sale, 'alice', true);
  t.match(after, { kind: 'joined', place, opensAt: OPENS_AT, token: String }, `after the key: arrival ${arrival}'s permuted place ${place}`);
  t.same(tokens.readTicket(after.kind === 'joined' ? after.token : ''), { sale: 'S1', user: 'alice', place, arrival, joinedAt: JOINED_AT }, 'the token carries both');
  const noBoard = await desk.join(saleOf('S1', null), 'alice', true);
  t.match(noBoard, { kind: 'joined', place: null }, 'a sale with no board here: no place yet');

  for (const refusal of [{ kind: 'closed' }, { kind: 'off' }, { kind: 'none' }, { kind: 'unknown' }, { kind: 'early', preQueueFrom: OPENS_AT - 60_000 }] as QueueJoin[]) {
    answerWith(refusal);
    t.same(await desk.join(sale, 'dave', true), refusal, `${refusal.kind}: passed on`);
  }
  const noSecret = setup(false);
  noSecret.answerWith({ kind: 'joined', preQueue: false, arrival: 0, joinedAt: OPENS_AT, pre: 0, opensAt: OPENS_AT, fresh: true });
  await t.rejects(noSecret.desk.join(noSecret.sale, 'bob', true), /queue key is not loaded/, 'no secret yet: refused before the script');
  t.same(noSecret.joins, [], 'the script did not run');
});

t.test('join in the demo: a second join by name says the place but not the token; a skipped place lines up again', async (t) => {
  const { desk, sale, publish, joins, answerWith, againWith, board } = setup();
  publish({ opened: true, served: 0, line: 20, pre: 10, rate: 2 });
  answerWith({ kind: 'joined', preQueue: false, arrival: 4, joinedAt: OPENS_AT + 5000, pre: 10, opensAt: OPENS_AT, fresh: false });
  t.same(await desk.join(sale, 'bob', false), { kind: 'already', place: 14, opensAt: OPENS_AT }, 'not proven, not fresh: no token');
  t.match(await desk.join(sale, 'bob', true), { kind: 'joined', place: 14, token: String }, 'proven (buyer authentication): the token again');
  answerWith({ kind: 'joined', preQueue: false, arrival: 4, joinedAt: OPENS_AT + 5000, pre: 10, opensAt: OPENS_AT, fresh: true });
  t.match(await desk.join(sale, 'bob', false), { kind: 'joined', place: 14, token: String }, 'fresh: the first join gives the token');

  // The line passed place 14 without admitting it (bob was away): bob's join lines up again at the back.
  board.markAdmitted(8, Buffer.from([0b11111000, 0]), 16); // places 8..12 admitted; 13, 14, 15 skipped
  publish({ opened: true, served: 16, line: 20, pre: 10, rate: 2 }, false);
  answerWith({ kind: 'joined', preQueue: false, arrival: 4, joinedAt: OPENS_AT + 5000, pre: 10, opensAt: OPENS_AT, fresh: false });
  againWith({ kind: 'joined', preQueue: false, arrival: 12, joinedAt: OPENS_AT + 9000, pre: 10, opensAt: OPENS_AT, fresh: true });
  joins.length = 0;
  const back = await desk.join(sale, 'bob', false);
  t.same(joins, [['S1', 'bob'], ['S1', 'bob 14']], 'the join, then the line-up again naming the skipped place');
  t.match(back, { kind: 'joined', place: 22, token: String }, 'a new place at the back, with its token');
  t.equal(desk.status(sale, tokens.ticket(late(14)))?.state, 'skipped', "the old token's place: skipped");
  t.equal(desk.status(sale, tokens.ticket(late(12)))?.state, 'admitted', 'an admitted place below the position: a pass');
  joins.length = 0;
  answerWith({ kind: 'joined', preQueue: false, arrival: 2, joinedAt: OPENS_AT + 5000, pre: 10, opensAt: OPENS_AT, fresh: false });
  await desk.join(sale, 'carol', true);
  t.same(joins, [['S1', 'carol']], 'an admitted place (12) does not line up again');
});

t.test('status: a closed sale says closed, whatever its line', async (t) => {
  const { desk, board, clock } = setup();
  const closing = { ...saleOf('S1', board.buffer), closesAt: OPENS_AT + 60_000 };
  board.publish({ on: true, opened: true, soldOut: false, served: 0, line: 20, pre: 0, key: '', passSeconds: PASS_SECONDS, opensAt: OPENS_AT, rate: 2 });
  clock.now = OPENS_AT + 59_000;
  t.equal(desk.status(closing, tokens.ticket(late(5)))?.state, 'waiting', 'before closesAt: waiting');
  clock.now = OPENS_AT + 60_000;
  t.equal(desk.status(closing, tokens.ticket(late(5)))?.state, 'closed', 'from closesAt: closed');
});
