import t from 'tap';
import { Sweeper } from '../../src/node/main/sweeper.js';
import type { KnownSale } from '../../src/node/main/registry.js';

const sale = (id: string) => ({ info: { id } }) as unknown as KnownSale;

t.test('keeps paging while the script says more holds are due, even after a short page', async (t) => {
  // A due batch whose orders were mostly paid releases fewer than a page and still has more due behind it.
  const pages = [{ expired: 3, more: true }, { expired: 0, more: true }, { expired: 5, more: false }];
  const calls: string[] = [];
  const sweeper = new Sweeper(() => [sale('A')], async (id) => (calls.push(id), pages.shift()!), (e) => t.error(e), 200, 10);
  t.equal(await sweeper.tick(), 8, 'released every due hold in one tick');
  t.equal(calls.length, 3, 'stopped once nothing more was due');
});

t.test('a backlog is bounded per sale per tick so other sales still get swept', async (t) => {
  const calls: string[] = [];
  const sweeper = new Sweeper(() => [sale('BIG'), sale('SMALL')], async (id) => {
    calls.push(id);
    return id === 'BIG' ? { expired: 200, more: true } : { expired: 1, more: false };
  }, (e) => t.error(e), 200, 4);
  t.equal(await sweeper.tick(), 801);
  t.same(calls, ['BIG', 'BIG', 'BIG', 'BIG', 'SMALL']);
});

t.test('one sale whose sweep fails is reported, and the sales after it are still swept', async (t) => {
  const calls: string[] = [];
  const reports: Array<{ err: unknown; failed: string[] }> = [];
  const sweeper = new Sweeper(
    () => [sale('BROKEN'), sale('A'), sale('ALSO-BROKEN'), sale('B')],
    async (id) => {
      calls.push(id);
      if (id.endsWith('BROKEN')) throw new Error(`WRONGTYPE in ${id}`);
      return { expired: 2, more: false };
    },
    (err, failed) => reports.push({ err, failed }),
  );
  t.equal(await sweeper.tick(), 4, 'the holds of A and B were released');
  t.same(calls, ['BROKEN', 'A', 'ALSO-BROKEN', 'B'], 'every sale was tried, in order');
  t.equal(reports.length, 1, 'one report per tick');
  t.same(reports[0].failed, ['BROKEN', 'ALSO-BROKEN'], 'naming every sale that failed');
  t.match((reports[0].err as Error).message, /WRONGTYPE in BROKEN/, 'with the first error');
  t.equal(await sweeper.tick(), 4, 'and the next tick runs (nothing left "running")');
});
