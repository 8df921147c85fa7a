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

t.test('a Redis error ends the tick and is reported, not thrown', async (t) => {
  const errors: unknown[] = [];
  const sweeper = new Sweeper(() => [sale('A')], async () => { throw new Error('down'); }, (e) => errors.push(e));
  t.equal(await sweeper.tick(), 0);
  t.equal(errors.length, 1);
});
