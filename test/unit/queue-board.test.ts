// src/sale/queue-board.ts: a node's shared-memory mirror of one waiting room — the published line state and its
// key, the checkpoints a pass's expiry is counted from, the liveness bitmaps a tick reports, and the counters.
import t from 'tap';
import { LIVE_PLACES, QueueBoard, type QueueLineState } from '../../src/sale/queue-board.js';
import { QUEUE_WAIT_BUCKETS } from '../../src/metrics/queue-metrics.js';

/** The ring's size in src/sale/queue-board.ts (CHECKPOINTS, not exported): a place older than it gets its oldest time. */
const CHECKPOINTS = 2048;

const opensAt = 1_700_000_000_123;
const state = (over: Partial<QueueLineState> = {}): QueueLineState => ({
  on: true, opened: true, soldOut: false, served: 0, line: 0, pre: 0, key: '', passSeconds: 120, opensAt, rate: 0, ...over,
});

t.test('create() starts with on, opensAt and passSeconds from its config, and nothing else', async (t) => {
  const board = QueueBoard.create({ on: true, opensAt, passSeconds: 90 });
  t.same(board.read(), { on: true, opened: false, soldOut: false, keyKnown: false, served: 0, line: 0, pre: 0, passSeconds: 90, opensAt, rate: 0 });
  t.equal(board.on, true);
  const off = QueueBoard.create({ on: false, opensAt: 5, passSeconds: 10 });
  t.same(off.read(), { on: false, opened: false, soldOut: false, keyKnown: false, served: 0, line: 0, pre: 0, passSeconds: 10, opensAt: 5, rate: 0 });
  t.equal(off.on, false);
  t.same(board.counters(), { used: 0, expired: 0, polls: 0, waits: new Array<number>(QUEUE_WAIT_BUCKETS.length + 1).fill(0) });
  t.throws(() => new QueueBoard(new SharedArrayBuffer(1024)), RangeError, 'a buffer it did not make is refused');
  t.throws(() => new QueueBoard(new SharedArrayBuffer(board.buffer.byteLength + 8)), RangeError, 'nor one a little bigger');
});

t.test('publish / read round trip, through another view of the same buffer (another thread)', async (t) => {
  const board = QueueBoard.create({ on: true, opensAt, passSeconds: 120 });
  const thread = new QueueBoard(board.buffer);
  board.publish(state({ opened: true, soldOut: true, served: 1234, line: 5678, pre: 321, passSeconds: 45, rate: 12.75 }));
  t.same(thread.read(), { on: true, opened: true, soldOut: true, keyKnown: false, served: 1234, line: 5678, pre: 321, passSeconds: 45, opensAt, rate: 12.75 });
  board.publish(state({ on: false, opened: false, served: 2 ** 31 - 1 }));
  t.same(thread.read(), { on: false, opened: false, soldOut: false, keyKnown: false, served: 2 ** 31 - 1, line: 0, pre: 0, passSeconds: 120, opensAt, rate: 0 });
  t.equal(thread.on, false);
  for (const flags of [{ on: true, opened: false, soldOut: false }, { on: false, opened: true, soldOut: false }, { on: false, opened: false, soldOut: true }]) {
    board.publish(state(flags));
    const r = thread.read();
    t.same({ on: r.on, opened: r.opened, soldOut: r.soldOut }, flags, `flags ${JSON.stringify(flags)} each on their own`);
  }
});

t.test('the key: 32 hex, readable once keyKnown, fixed by the first publish that carries one', async (t) => {
  const board = QueueBoard.create({ on: true, opensAt, passSeconds: 120 });
  const thread = new QueueBoard(board.buffer);
  board.publish(state({ pre: 10 }));
  t.equal(thread.read().keyKnown, false, 'no key yet');
  const key = '00ff7f80deadbeef0123456789abcdef'; // bytes with the high bit set in every Int32 word position
  board.publish(state({ pre: 10, key }));
  t.equal(thread.read().keyKnown, true, 'published: known');
  t.equal(thread.key(), key, 'read back exactly');
  t.match(thread.key(), /^[0-9a-f]{32}$/);
  board.publish(state({ pre: 10, key: 'ffffffffffffffffffffffffffffffff' }));
  t.equal(thread.key(), 'ffffffffffffffffffffffffffffffff', 'a later tick with another key replaces it: the board follows the one key in Redis');
  const upper = QueueBoard.create({ on: true, opensAt, passSeconds: 120 });
  upper.publish(state({ key: key.toUpperCase() }));
  t.equal(upper.key(), key, 'upper case in, the same bytes out');
});

t.test('checkpoints and admittedAt', async (t) => {
  const board = QueueBoard.create({ on: true, opensAt, passSeconds: 120 });
  const thread = new QueueBoard(board.buffer);
  t.equal(thread.admittedAt(0), null, 'no checkpoint: null');
  board.checkpoint(10, 1000);
  t.same([0, 5, 9].map((p) => thread.admittedAt(p)), [1000, 1000, 1000], 'places 0..9 admitted at 1000');
  t.equal(thread.admittedAt(10), null, 'place 10 is not served yet');
  t.equal(thread.admittedAt(1_000_000), null, 'nor a place far behind');
  board.checkpoint(25, 2000);
  t.same([9, 10, 24, 25].map((p) => thread.admittedAt(p)), [1000, 2000, 2000, null], 'the first checkpoint past the place');
  board.checkpoint(25, 3000);
  board.checkpoint(20, 4000);
  t.same([9, 10, 24, 25].map((p) => thread.admittedAt(p)), [1000, 2000, 2000, null], 'checkpoints that do not move are ignored');
  board.checkpoint(26, 5000);
  t.equal(thread.admittedAt(25), 5000, 'the next that moves is taken');
  t.equal(thread.admittedAt(24), 2000);
});

t.test('admittedAt over a wrapped ring: every place against a model, the oldest time for places it forgot', async (t) => {
  const board = QueueBoard.create({ on: true, opensAt, passSeconds: 120 });
  const log: Array<[number, number]> = [];
  let served = 0;
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31); // a fixed pseudo-random sequence of steps
  const total = CHECKPOINTS * 2 + 300;
  for (let i = 0; i < total; i++) {
    served += 1 + (next() % 7);
    const at = 1_000_000 + i * 250;
    board.checkpoint(served, at);
    if (next() % 5 === 0) board.checkpoint(served - (next() % 3), at + 1); // a tick that did not move: ignored
    log.push([served, at]);
  }
  const kept = log.slice(-CHECKPOINTS);
  const model = (place: number): number | null => {
    if (place >= served) return null;
    const first = kept.find(([s]) => s > place);
    return first === undefined ? null : first[1];
  };
  let wrong = 0;
  for (let p = 0; p <= served + 3; p++) {
    if (board.admittedAt(p) !== model(p)) wrong++;
  }
  t.equal(wrong, 0, `all ${served + 4} places as the model says`);
  t.equal(board.admittedAt(0), kept[0][1], "place 0, long before the ring's memory: the oldest kept time");
  t.equal(board.admittedAt(log[0][0] - 1), kept[0][1], 'as is the first checkpoint’s last place');
  t.not(kept[0][1], log[0][1], 'the first checkpoint itself is forgotten');
  t.equal(board.admittedAt(served - 1), log[log.length - 1][1], 'the last served place: the newest time');
  t.equal(board.admittedAt(served), null);
});

t.test('markPolled and liveBits: MSB first, from a base that is a multiple of 8', async (t) => {
  const board = QueueBoard.create({ on: true, opensAt, passSeconds: 120 });
  const thread = new QueueBoard(board.buffer);
  for (const p of [3, 8, 15, 31, 32, 40]) thread.markPolled(p);
  t.same([...board.liveBits(0, 16)], [0b0001_0000, 0b1000_0001], 'places 3, 8, 15');
  t.same([...board.liveBits(8, 8)], [0b1000_0001], 'from base 8: places 8 and 15');
  t.same([...board.liveBits(24, 24)], [0b0000_0001, 0b1000_0000, 0b1000_0000], 'across a 32-bit word: 31, 32, 40');
  t.same([...board.liveBits(0, 10)], [0b0001_0000, 0b1000_0000], 'count 10: two bytes, bits past it clear');
  t.equal(board.liveBits(0, 0).length, 0, 'count 0: nothing');
  t.same([...board.liveBits(48, 16)], [0, 0], 'places nobody polled');
  t.equal(board.counters().polls, 6, 'each poll counted');
  thread.markPolled(LIVE_PLACES + 5);
  t.same([...board.liveBits(LIVE_PLACES, 8)], [0b0001_0100], 'a place past LIVE_PLACES is its bit mod LIVE_PLACES (3 was polled)');
  t.same([...board.liveBits(0, 8)], [0b0001_0100], 'which it shares with place 5');
  thread.markPolled(LIVE_PLACES - 1);
  t.same([...board.liveBits(LIVE_PLACES - 8, 8)], [0b0000_0001], 'the last place of the bitmap');
});

t.test('liveness epochs: a poll lives through one rotate, not two, and a reused bitmap comes back clear', async (t) => {
  const board = QueueBoard.create({ on: true, opensAt, passSeconds: 120 });
  const bits = () => board.liveBits(0, 8)[0];
  board.markPolled(1);
  t.equal(bits(), 0b0100_0000, 'polled in the current epoch: live');
  board.rotate();
  t.equal(bits(), 0b0100_0000, 'after one rotate: still live (previous epoch)');
  board.markPolled(2);
  t.equal(bits(), 0b0110_0000, 'a poll in the new epoch adds to it');
  board.rotate();
  t.equal(bits(), 0b0010_0000, 'after two rotates the first poll is gone; the second still lives');
  board.rotate();
  t.equal(bits(), 0, 'both gone');
  // Three rotates after the first poll its bitmap is current again: it was cleared before it came back.
  board.markPolled(7);
  t.equal(bits(), 0b0000_0001, 'only the new poll in the reused bitmap');
  // Many epochs, one poll each at its own place: polled lately = this epoch's and the last one's, none older.
  const fresh = QueueBoard.create({ on: true, opensAt, passSeconds: 120 });
  const bitsOf = (...places: number[]) => {
    const want = [0, 0];
    for (const p of places) if (p >= 0) want[p >>> 3] |= 128 >>> (p & 7);
    return want;
  };
  for (let i = 0; i < 12; i++) {
    fresh.markPolled(i);
    t.same([...fresh.liveBits(0, 16)], bitsOf(i - 1, i), `epoch ${i}: its poll and the last epoch's`);
    fresh.rotate();
    t.same([...fresh.liveBits(0, 16)], bitsOf(i), `rotated: only epoch ${i}'s`);
  }
});

t.test('counters: passes used with their waits in the right bucket, expired passes, polls', async (t) => {
  const board = QueueBoard.create({ on: true, opensAt, passSeconds: 120 });
  const thread = new QueueBoard(board.buffer);
  t.same(QUEUE_WAIT_BUCKETS, [5, 15, 30, 60, 120, 300, 600, 1800, 3600], 'the buckets this test expects');
  const waits: Array<[number, number]> = [
    [0, 0], [5, 0], // le 5 (inclusive)
    [5.001, 1], [15, 1],
    [29.9, 2], [30, 2],
    [45, 3],
    [61, 4], [120, 4],
    [299, 5],
    [301, 6],
    [1799, 7],
    [3600, 8],
    [3600.5, 9], [86_400, 9], // +Inf
  ];
  const want = new Array<number>(QUEUE_WAIT_BUCKETS.length + 1).fill(0);
  for (const [w, bucket] of waits) {
    thread.passUsed(w);
    want[bucket]++;
  }
  thread.passExpired();
  thread.passExpired();
  thread.markPolled(3);
  const c = board.counters();
  t.same(c.waits, want, 'each wait in its bucket (le: a wait equal to a bound is in it)');
  t.equal(c.used, waits.length, 'passes used');
  t.equal(c.expired, 2, 'expired passes refused');
  t.equal(c.polls, 1, 'polls');
  board.publish(state({ served: 99, line: 100, key: '0123456789abcdef0123456789abcdef', rate: 3 }));
  board.checkpoint(99, 1);
  board.rotate();
  t.same(board.counters(), c, 'publish, checkpoint and rotate leave the counters alone');
  const { key: _key, ...published } = state({ served: 99, line: 100, rate: 3 });
  t.same(board.read(), { ...published, keyKnown: true }, 'and the counters leave the state alone');
});

t.test('admitted bits: set and cleared from a tick, places read as admitted or skipped, across the ring', async (t) => {
  const board = QueueBoard.create({ on: true, opensAt: 0, passSeconds: 60 });
  const thread = new QueueBoard(board.buffer);
  board.markAdmitted(16, Buffer.from([0b10100000, 0b00000001]), 32); // 16 and 18 admitted, 31 admitted
  t.same([16, 17, 18, 19, 30, 31].map((p) => thread.wasAdmitted(p)), [true, false, true, false, false, true], 'MSB first from the base');
  board.markAdmitted(16, Buffer.from([0, 0]), 32);
  t.same([16, 18, 31].map((p) => thread.wasAdmitted(p)), [false, false, false], 'a later range clears what it says was not admitted');
  board.markAdmitted(LIVE_PLACES + 8, Buffer.from([0xff]), LIVE_PLACES + 16);
  t.ok(thread.wasAdmitted(LIVE_PLACES + 9), 'a place past the ring');
  t.ok(thread.wasAdmitted(9), 'shares its bit with the place a ring below (the ring covers 2^21 places)');
  board.markAdmitted(40, Buffer.alloc(0), 44);
  t.same([40, 41, 42, 43].map((p) => thread.wasAdmitted(p)), [false, false, false, false], 'bits missing from the reply: not admitted');
});
