// The main thread's holder sync (src/node/main/holder-sync.ts) against a fake holder log (pure logic): a re-sync
// reads only what was appended since the last read, the count is published only once the whole log is in, the
// filter is sent to the threads once and then filled in place, an outgrown filter is replaced by a bigger one,
// and a log that is not the one it was reading is read again from the start.
import t from 'tap';
import { HolderSync } from '../../src/node/main/holder-sync.js';
import { HolderFilter } from '../../src/sale/holder-filter.js';
import type { HolderLogPage, SaleFacts } from '../../src/sale/types.js';

function setup(pageSize = 100) {
  const log: string[] = [];
  let ordersMade = 0;
  const reads: Array<{ cursor: number; entries: number }> = [];
  const sent: SharedArrayBuffer[] = [];
  const errors: unknown[] = [];
  let gate: Promise<void> = Promise.resolve();
  const read = async (_sale: string, cursor: number, max: number): Promise<HolderLogPage | null> => {
    await gate;
    if (cursor > log.length) return { ordersMade, next: -1, length: log.length, entries: [] };
    const entries = log.slice(cursor, cursor + max);
    reads.push({ cursor, entries: entries.length });
    return { ordersMade, next: cursor + entries.length, length: log.length, entries };
  };
  const sync = new HolderSync(read, (_sale, filter) => sent.push(filter), (err) => errors.push(err), pageSize);
  const hold = (n: number) => {
    for (let i = 0; i < n; i++) {
      ordersMade++;
      log.push(`u${ordersMade}`, `u${ordersMade} key${ordersMade}`);
    }
  };
  const facts = (remaining = 0) => ({ id: 'S', remaining, ordersMade }) as SaleFacts;
  const settled = async () => {
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    log, reads, sent, errors, sync, hold, facts, settled,
    hold1: () => hold(1),
    blockReads: () => {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => open();
    },
  };
}

t.test('the first sync reads the whole log in pages; a re-sync reads only the holds made since', async (t) => {
  const s = setup(100);
  s.hold(250);
  s.sync.check(s.facts(5));
  await s.settled();
  t.same(s.reads, [], 'not sold out: nothing read');
  s.sync.check(s.facts());
  await s.settled();
  t.same(s.reads.map((r) => r.entries), [100, 100, 100, 100, 100], '500 entries in pages of 100');
  t.equal(s.sync.synced('S'), 250, 'published once complete, with the orders count of the last page');
  t.equal(s.sent.length, 1, 'sent to the threads once');
  const filter = new HolderFilter(s.sent[0]);
  t.ok(s.log.every((e) => filter.has(e)), 'every holder and key is in');
  s.reads.length = 0;
  s.hold(3);
  s.sync.check(s.facts());
  await s.settled();
  t.same(s.reads, [{ cursor: 500, entries: 6 }], 'three new holds: six entries read, from where the last read ended');
  t.equal(s.sync.synced('S'), 253);
  t.equal(s.sent.length, 1, 'filled in place: nothing sent again');
  t.ok(filter.has('u253 key253'), "the threads' filter has them");
  s.sync.check(s.facts());
  await s.settled();
  t.equal(s.reads.length, 1, 'current: no read');
});

t.test('a page that does not reach the end publishes nothing', async (t) => {
  const s = setup(100);
  s.hold(100);
  const open = s.blockReads();
  s.sync.check(s.facts());
  s.sync.refresh('S');
  open();
  await s.settled();
  t.equal(s.sync.synced('S'), 100);
  t.equal(s.reads.at(-1)?.cursor, 200, 'a refresh asked during a read runs after it, from where it ended');
  const partial = setup(10);
  partial.hold(10);
  let publishedEarly = false;
  const sync = new HolderSync(
    async (_sale, cursor, max) => {
      publishedEarly ||= sync.synced('S') >= 0 && cursor < 20;
      const entries = partial.log.slice(cursor, cursor + max);
      return { ordersMade: 10, next: cursor + entries.length, length: partial.log.length, entries };
    },
    () => undefined,
    () => undefined,
    10,
  );
  sync.refresh('S');
  await partial.settled();
  t.notOk(publishedEarly, 'no count published while pages were missing');
  t.equal(sync.synced('S'), 10);
});

t.test('an outgrown filter is replaced by a bigger one; a log that is not the one read is read again', async (t) => {
  const s = setup(5000);
  s.hold(10);
  s.sync.check(s.facts());
  await s.settled();
  const first = new HolderFilter(s.sent[0]);
  t.equal(first.capacity, 1024, 'sized for the log it found (at least 1,024)');
  s.hold(600);
  s.sync.check(s.facts());
  await s.settled();
  t.equal(s.sent.length, 2, 'past its capacity: a new filter, sent once complete');
  const second = new HolderFilter(s.sent[1]);
  t.ok(second.capacity >= 4 * 1220, `four times what it must hold (${second.capacity})`);
  t.ok(s.log.every((e) => second.has(e)), 'with everything in it');
  t.equal(s.sync.synced('S'), 610);
  s.log.length = 0; // the sale's keys are gone and it was made again
  s.hold(2);
  s.sync.check(s.facts());
  await s.settled();
  t.equal(s.sent.length, 3, 'a cursor past the end: a fresh filter from the start');
  t.ok(new HolderFilter(s.sent[2]).has('u612 key612'));
  t.same(s.errors, []);
});
