import t from 'tap';
import { Reconciler } from '../../src/node/main/reconciler.js';
import type { KnownSale } from '../../src/node/main/registry.js';
import type { SaleFacts } from '../../src/sale/types.js';

const sale = (id: string) => ({ info: { id } }) as unknown as KnownSale;
const facts = (id: string) => ({ id, remaining: 7 }) as unknown as SaleFacts;

t.test('one sale whose read fails is reported, and the sales after it are still read and applied', async (t) => {
  const applied: string[] = [];
  const reports: Array<{ err: unknown; failed: string[] }> = [];
  const sales = [sale('BROKEN'), sale('A'), sale('B')];
  const reconciler = new Reconciler(
    () => sales,
    async (id) => {
      if (id === 'BROKEN') throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
      return facts(id);
    },
    (s) => applied.push(s.info.id),
    (err, failed) => reports.push({ err, failed }),
  );
  await reconciler.tick();
  t.same(applied, ['A', 'B'], 'A and B got their facts');
  t.equal(sales[1].last.id, 'A', "and keep them as the sale's last read");
  t.same(reports.map((r) => r.failed), [['BROKEN']], 'one report naming the failing sale');
  t.match((reports[0].err as Error).message, /WRONGTYPE/);
});

t.test("an apply that throws for one sale does not keep the others' facts from their slots", async (t) => {
  const applied: string[] = [];
  const reports: string[][] = [];
  const reconciler = new Reconciler(
    () => [sale('A'), sale('B')],
    async (id) => facts(id),
    (s) => {
      if (s.info.id === 'A') throw new RangeError('slot out of range');
      applied.push(s.info.id);
    },
    (_err, failed) => reports.push(failed),
  );
  await reconciler.tick();
  t.same(applied, ['B']);
  t.same(reports, [['A']]);
});
