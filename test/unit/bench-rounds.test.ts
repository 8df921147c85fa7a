// npm run bench's rounds (bench/lib/rounds.ts, report.ts): the ABBA order, which scenarios repeat, and rows that
// are medians of their rounds with ratios taken within a round. The point of rounds is figures that hold: a ratio
// of two medians could pair one system's good round with the other's bad one, so these tests use rounds where
// that gives a different answer than the median of per-round ratios.
import t from 'tap';
import type { LoadResult } from '../../bench/lib/load-result.js';
import type { Measurement } from '../../bench/lib/measure.js';
import { parseBenchOptions } from '../../bench/lib/options.js';
import { oneNode, type Plan } from '../../bench/lib/plan.js';
import { reportMarkdown } from '../../bench/lib/report-md.js';
import { buildReport, buildRows, buildTargets } from '../../bench/lib/report.js';
import { median, ratiosByRound, roundOrder, scheduleScenario, spread } from '../../bench/lib/rounds.js';
import type { SystemName } from '../../bench/lib/system.js';

function plan(system: SystemName, scenario = 'sale-path', load: Plan['load'] = { tool: 'wrk', script: 'buyers', mode: 'user', seconds: 4 }): Plan {
  return { scenario, system, layout: oneNode(), sale: { id: 'S', stock: 1_000_000, anonymous: false }, load, judge: 'sale' };
}

/** One round of one system: `rate` answers (all successes) a second for 10 s, p99 as given. */
function run(system: SystemName, round: number, rate: number, p99 = 2, problems: string[] = [], scenario = 'sale-path'): Measurement {
  const answered = rate * 10;
  const sold = system === 'hello' ? 0 : answered;
  const load: LoadResult = {
    tool: 'wrk',
    command: 'wrk',
    seconds: 10,
    sent: answered,
    answered,
    counts: { ok: sold, soldOut: 0, limit: 0, other: 0, http4xx: 0, http429: 0, http5xx: 0 },
    socketErrors: 0,
    non2xx: 0,
    latencyMs: { p50: 1, p99, p999: 2 * p99, max: 3 * p99 },
    extra: {},
  };
  return {
    plan: plan(system, scenario),
    round,
    connections: 100,
    layout: 'l',
    load,
    books: { sold, ok: problems.length === 0, problems, detail: {} },
    cpu: null,
    problems,
  };
}

t.test('ABBA: even rounds in the given order, odd rounds reversed', async (t) => {
  const systems = ['hello', 'ticket-spike', 'typical', 'article'];
  t.same(roundOrder(systems, 0), systems);
  t.same(roundOrder(systems, 1), ['article', 'typical', 'ticket-spike', 'hello']);
  t.same(roundOrder(systems, 2), systems);
  t.same(systems, ['hello', 'ticket-spike', 'typical', 'article'], 'the input is not reversed in place');
  const schedule = scheduleScenario(systems.map((s) => plan(s as SystemName)), 3);
  t.same(
    schedule.map((r) => `${r.round}:${r.plan.system}`),
    ['0:hello', '0:ticket-spike', '0:typical', '0:article', '1:article', '1:typical', '1:ticket-spike', '1:hello', '2:hello', '2:ticket-spike', '2:typical', '2:article'],
    'each system once a round, the first and last of a round swapped between rounds',
  );
});

t.test('only duration-bounded scenarios repeat: a crowd bounded by its buyers runs once', async (t) => {
  const budgeted = plan('ticket-spike', 'million', { tool: 'wrk', script: 'buyers', mode: 'user', seconds: 400, budgetPerThread: 500_000 });
  const ab = plan('ticket-spike', 'article', { tool: 'ab', requests: 10_000, concurrency: 100 });
  const mixed = plan('ticket-spike', 'mixed', { tool: 'wrk', script: 'mixed', seconds: 4 });
  t.equal(scheduleScenario([plan('hello'), plan('ticket-spike')], 3).length, 6);
  t.equal(scheduleScenario([budgeted], 3).length, 1, 'million: once');
  t.equal(scheduleScenario([ab], 3).length, 1, 'article (ab): once');
  t.equal(scheduleScenario([mixed], 3).length, 3, 'mixed is bounded by time');
  t.same(scheduleScenario([plan('hello')], 1).map((r) => r.round), [0], 'one round: round 0 only');
});

t.test('median, spread and per-round ratios', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5, 'even count: the mean of the middle two');
  t.equal(median([]), null);
  t.same(spread([3, 1, 2]), [1, 3]);
  t.equal(spread([]), null);
  const mine = new Map([[1, 30], [2, 20], [3, 10]]);
  const peer = new Map([[1, 10], [2, 20], [4, 5]]);
  t.same(ratiosByRound(mine, peer), [3, 1], 'round 3 has no peer, round 4 no own run: both left out');
  t.same(ratiosByRound(new Map([[1, 5]]), new Map([[1, 0]])), [], 'a peer at 0 gives no ratio');
});

t.test('rows: medians of the rounds; ratios per round, then their median and spread', async (t) => {
  // Round 1 (index 0) was a slow round for everyone; round 2 fast for typical only; round 3 ordinary.
  // Per-round ratios ts/typical: 2.0, 1.0, 1.5 -> median 1.5, spread [1, 2].
  // Ratio of the medians would be 40k / 30k = 1.333: not what a round showed.
  const ms = [
    run('ticket-spike', 0, 20_000, 4), run('typical', 0, 10_000),
    run('typical', 1, 40_000), run('ticket-spike', 1, 40_000, 3),
    run('ticket-spike', 2, 45_000, 5), run('typical', 2, 30_000),
  ];
  const rows = buildRows(ms);
  const ts = rows.find((r) => r.system === 'ticket-spike')!;
  t.equal(rows.length, 2, 'one row per scenario and system');
  t.equal(ts.rounds, 3);
  t.equal(ts.answeredPerSec, 40_000, 'median of 20k, 40k, 45k');
  t.equal(ts.p99Ms, 4, 'median of 4, 3, 5');
  t.equal(ts.ratioToTypical, 1.5, 'median of the per-round ratios, not 40k / 30k');
  t.same(ts.ratioToTypicalSpread, [1, 2]);
  t.same(ts.perRound.map((f) => [f.round, f.ratioToTypical]), [[1, 2], [2, 1], [3, 1.5]], "each round's own ratio, rounds 1-based");
  t.equal(rows.find((r) => r.system === 'typical')!.ratioToTypical, null, 'typical is not compared with itself');
  const targets = buildTargets(rows);
  const vsTypical = targets.find((x) => x.what === 'sale-path: ticket-spike / typical')!;
  t.equal(vsTypical.got, '1.5x [1, 2]', 'the target reads the median ratio and shows the spread');
  t.equal(vsTypical.met, false, '1.5 < 2');
  const md = reportMarkdown(buildReport(ms, { when: '2030-01-02T03:04:05Z', command: 'npm run bench', machine: { cpus: 2, model: 'cpu', loadAverage: [0, 0, 0] }, settings: {}, seconds: 1 }));
  t.match(md, /\| sale-path \| ticket-spike \| l \| 3 \| 400,000 \| 40,000 \|/, 'the rounds column and median figures');
  t.match(md, /\| 1\.50× \(1\.00–2\.00\) \|/, 'the ratio with its spread');
});

t.test('committed purchases/s target: per-round ratio of committed/s at 1000 connections', async (t) => {
  const at1000 = (system: SystemName, round: number, rate: number) => run(system, round, rate, 20, [], 'sale-path-1000');
  const rows = buildRows([at1000('ticket-spike', 0, 30_000), at1000('typical', 0, 10_000), at1000('typical', 1, 9_000), at1000('ticket-spike', 1, 36_000)]);
  const target = buildTargets(rows).find((x) => x.what === 'sale-path-1000: ticket-spike / typical committed purchases/s')!;
  t.equal(target.got, '3.5x [3, 4]', 'ratios 3 and 4: median 3.5');
  t.equal(target.met, true);
  t.equal(buildTargets(rows).find((x) => x.what === 'sale-path-1000: ticket-spike success p99')!.met, true, '20 ms <= 30 ms');
});

t.test('an audit failed in one round fails the row and the report, naming the round', async (t) => {
  const ms = [run('ticket-spike', 0, 10_000), run('ticket-spike', 1, 10_000, 2, ['oversold: 101 sold, stock 100']), run('ticket-spike', 2, 10_000)];
  const report = buildReport(ms, { when: '2030-01-02T03:04:05Z', command: 'x', machine: { cpus: 2, model: 'cpu', loadAverage: [0, 0, 0] }, settings: {}, seconds: 1 });
  t.equal(report.rows[0].audit, 'FAILED');
  t.same(report.rows[0].problems, ['round 2: oversold: 101 sold, stock 100']);
  t.equal(report.auditsPassed, false);
  t.match(reportMarkdown(report), /\*\*sale-path \/ ticket-spike FAILED\*\*: round 2: oversold/);
  t.same(buildRows([run('ticket-spike', 0, 10_000, 2, ['lost'])])[0].problems, ['lost'], 'one round: nothing to name');
});

t.test('--rounds: 3 by default, 1 with --quick; anything but a whole number >= 1 is refused by name', async (t) => {
  const full = parseBenchOptions([]);
  const quick = parseBenchOptions(['--quick']);
  if (full === 'help' || quick === 'help') throw new Error('unexpected');
  t.equal(full.rounds, 3);
  t.equal(quick.rounds, 1);
  const five = parseBenchOptions(['--rounds', '5', '--quick']);
  t.equal(five !== 'help' && five.rounds, 5, 'given beats --quick');
  // --rounds=V: a value that starts with a dash reaches the check too (parseArgs refuses `--rounds -1` itself).
  for (const bad of ['0', '-1', '1.5', 'three', '']) t.throws(() => parseBenchOptions([`--rounds=${bad}`]), /--rounds must be a whole number >= 1/, `--rounds=${bad}`);
  t.throws(() => parseBenchOptions(['--rounds', '-1']), /--rounds/, 'parseArgs names it too');
});
