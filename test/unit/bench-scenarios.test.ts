// The high-concurrency sale paths of npm run bench (bench/scenarios/sale-path.ts): 400 and 1,000 connections
// whatever --connections says, every system, every purchase a commit; the other scenarios keep --connections.
import t from 'tap';
import { parseBenchOptions, type BenchOptions } from '../../bench/lib/options.js';
import { connectionsOf, durationBounded } from '../../bench/lib/plan.js';
import { SCENARIO_BY_NAME } from '../../bench/scenarios/index.js';

function options(argv: string[]): BenchOptions {
  const o = parseBenchOptions(argv);
  if (o === 'help') throw new Error('unexpected');
  return o;
}

t.test('sale-path-400 and -1000: their own connections, all four systems, every purchase commits', async (t) => {
  const o = options(['--connections', '50']);
  for (const [name, connections] of [['sale-path-400', 400], ['sale-path-1000', 1000]] as const) {
    const plans = SCENARIO_BY_NAME[name].plans(o);
    t.same(plans.map((p) => p.system), ['hello', 'ticket-spike', 'typical', 'article'], name);
    t.same(plans.map((p) => connectionsOf(p, o)), [connections, connections, connections, connections], `${name}: -c${connections}, not --connections 50`);
    t.ok(plans.every((p) => p.commitsEveryPurchase === true && durationBounded(p) && p.sellOutFirst !== true), `${name}: a sale path, repeated in rounds`);
    t.same(plans[0].layout, { nodes: 1, threads: 2, weights: [1], nginx: false }, 'direct to one node of 2 threads');
  }
  t.same(SCENARIO_BY_NAME['sale-path'].plans(o).map((p) => connectionsOf(p, o)), [50, 50, 50, 50], 'sale-path keeps --connections');
  t.equal(connectionsOf(SCENARIO_BY_NAME.article.plans(o)[0], o), 50, "ab's -c");
  const quick = SCENARIO_BY_NAME['sale-path-1000'].plans(options(['--quick']))[0].load;
  t.equal(quick.tool === 'wrk' ? quick.seconds : null, 1, '--quick: 1 s too');
});

t.test('which loads repeat in rounds: bounded by time, not by buyers', async (t) => {
  const o = options([]);
  t.ok(SCENARIO_BY_NAME['sold-out'].plans(o).every(durationBounded), 'sold-out');
  t.ok(SCENARIO_BY_NAME.mixed.plans(o).every(durationBounded), 'mixed');
  t.notOk(SCENARIO_BY_NAME.million.plans(o).some(durationBounded), 'million: a budget of buyers');
  t.notOk(SCENARIO_BY_NAME.article.plans(o).some(durationBounded), 'article: ab -n');
});
