// The pure parts of `npm run bench` (bench/lib): reading wrk's and ab's output, the percentiles, the audit of
// what was sold against what buyers were told, the ratios and targets, and the report. No server, no load.
import t from 'tap';
import { abLoadResult, parseAbGnuplot, parseAbText, percentilesMs } from '../../bench/lib/ab-summary.js';
import { judgeMixed, judgeSale } from '../../bench/lib/judge.js';
import type { AnswerCounts, LoadResult } from '../../bench/lib/load-result.js';
import { undecided } from '../../bench/lib/load-result.js';
import type { Measurement } from '../../bench/lib/measure.js';
import { parseBenchOptions } from '../../bench/lib/options.js';
import { oneNode } from '../../bench/lib/plan.js';
import { reportMarkdown } from '../../bench/lib/report-md.js';
import { reportSvg } from '../../bench/lib/report-svg.js';
import { buildReport, buildRows, buildTargets, ratio } from '../../bench/lib/report.js';
import type { Books, SystemName } from '../../bench/lib/system.js';
import { parseWrkJson, wrkLoadResult } from '../../bench/lib/wrk-summary.js';

const wrkOut = (counts: Record<string, number>, extra: Record<string, unknown> = {}) =>
  'Running 10s test @ http://127.0.0.1:1\n  2 threads and 100 connections\nBENCH-JSON ' +
  JSON.stringify({
    durationUs: 10_000_000,
    requests: 1000,
    errors: { connect: 1, read: 2, write: 0, status: 0, timeout: 3 },
    latencyUs: { p50: 1500, p99: 4200, p999: 9100, max: 20000, mean: 1600 },
    counts,
    ...extra,
  }) +
  '\nRequests/sec: 100\n';

const zero: AnswerCounts = { ok: 0, soldOut: 0, limit: 0, other: 0, http4xx: 0, http429: 0, http5xx: 0 };

function load(sent: number, answered: number, counts: Partial<AnswerCounts> | null, extra: Record<string, number> = {}, seconds = 10): LoadResult {
  return {
    tool: counts === null ? 'ab' : 'wrk',
    command: 'x',
    seconds,
    sent,
    answered,
    counts: counts === null ? null : { ...zero, ...counts },
    socketErrors: 0,
    non2xx: counts === null ? 0 : (counts.http5xx ?? 0),
    latencyMs: { p50: 1, p99: 2, p999: 3, max: 4 },
    extra,
  };
}

const books = (sold: number, detail: Books['detail'] = {}, problems: string[] = []): Books => ({ sold, ok: problems.length === 0, problems, detail });

t.test('wrk: the BENCH-JSON line becomes a LoadResult in ms; a budgeted run is timed by its purchases', async (t) => {
  const json = parseWrkJson(wrkOut({ sent: 1000, answered: 990, ok: 900, soldOut: 80, http5xx: 10, replays: 7 }, { purchaseSpanUs: 2_500_000 }));
  const byDuration = wrkLoadResult(json, 'wrk ...', false);
  t.equal(byDuration.seconds, 10, '-d when not budgeted');
  t.same(byDuration.latencyMs, { p50: 1.5, p99: 4.2, p999: 9.1, max: 20 });
  t.equal(byDuration.socketErrors, 6, 'connect + read + write + timeout; status is not a socket error');
  t.equal(byDuration.non2xx, 10);
  t.same(byDuration.extra, { replays: 7 }, "a script's own counters pass through");
  t.equal(undecided(byDuration), 20, '10 never answered + 10 answered 5xx');
  t.equal(wrkLoadResult(json, 'wrk ...', true).seconds, 2.5, 'budgeted: first purchase sent to last answered');
  t.throws(() => parseWrkJson('Running 10s test\nRequests/sec: 5\n'), /no BENCH-JSON/);
});

t.test('ab: text, per-request times, percentiles from the histogram', async (t) => {
  const text = [
    'Concurrency Level:      100',
    'Time taken for tests:   2.500 seconds',
    'Complete requests:      10000',
    'Failed requests:        40',
    '   (Connect: 0, Receive: 0, Length: 37, Exceptions: 3)',
    'Non-2xx responses:      5',
  ].join('\n');
  t.same(parseAbText(text), { complete: 10000, failed: 3, non2xx: 5, seconds: 2.5 }, 'a shorter sold-out answer is no failure');
  t.equal(parseAbText('Time taken for tests: 1 seconds\nComplete requests: 3\nFailed requests: 0\n').non2xx, 0, 'no Non-2xx line: none');
  t.throws(() => parseAbText('ab: invalid URL'), /Complete requests/);
  const g = 'starttime\tseconds\tctime\tdtime\tttime\twait\nMon\t1\t0\t1\t3\t1\nMon\t1\t0\t2\t5\t2\n\n';
  t.same(parseAbGnuplot(g), [3, 5]);
  t.throws(() => parseAbGnuplot('a\tb\n1\t2\n'), /ttime/);
  const times = Array.from({ length: 1000 }, (_, i) => i + 1); // 1..1000 ms
  const p = percentilesMs(times);
  t.ok(Math.abs(p.p50 - 500) <= 1, `p50 ${p.p50}`);
  t.ok(Math.abs(p.p99 - 990) <= 1, `p99 ${p.p99}`);
  t.ok(Math.abs(p.p999 - 999) <= 1, `p99.9 ${p.p999}`);
  t.ok(Math.abs(p.max - 1000) <= 1, `max ${p.max}`);
  t.same(percentilesMs([]), { p50: 0, p99: 0, p999: 0, max: 0 });
  const r = abLoadResult(parseAbText(text), times, 'ab ...', 10000);
  t.equal(r.counts, null, 'ab cannot see codes');
  t.equal(undecided(r), 5, 'its non-2xx may have bought');
});

t.test('judgeSale: exactly min(stock, demand), within what undecided purchases allow', async (t) => {
  t.same(judgeSale(100, load(50, 50, { ok: 50 }), books(50)), [], 'stock > demand: every buyer bought');
  t.same(judgeSale(100, load(500, 500, { ok: 100, soldOut: 400 }), books(100)), [], 'sold out exactly');
  t.same(judgeSale(1000, load(500, 470, { ok: 460, http5xx: 10 }), books(475)), [], '30 unanswered + 10 5xx may have bought');
  t.match(judgeSale(1000, load(500, 470, { ok: 460, http5xx: 10 }), books(501)).join(), /expected min\(stock 1000, demand\) = 460\.\.500/);
  t.match(judgeSale(100, load(50, 50, { ok: 50 }), books(49)).join(), /50 buyers heard success but only 49/, 'a lost sale');
  t.match(judgeSale(100, load(500, 500, { ok: 99, soldOut: 401 }), books(99)).join(), /heard sold out while 1 tickets were left/, 'undersold');
  t.match(judgeSale(100, load(500, 500, { ok: 101, soldOut: 399 }), books(101)).join(), /oversold: 101 sold, stock 100/);
  t.match(judgeSale(100, load(50, 50, { ok: 49, limit: 1 }), books(49)).join(), /refused for a per-user limit/, 'distinct buyers never hit the limit');
  t.match(judgeSale(100, load(50, 50, { ok: 50 }), books(50, {}, ['holder u1 holds 2 > limit 1'])).join(), /holds 2/, "the books' own problems first");
  t.same(judgeSale(10000, load(10000, 10000, null), books(10000)), [], 'ab: all answered 2xx, all sold');
  t.match(judgeSale(10000, load(10000, 10000, null), books(9999)).join(), /expected .* = 10000/);
  t.same(judgeSale(100, load(10000, 10000, null), books(100)), [], 'ab with stock below n: sold out exactly');
});

t.test('judgeMixed: pays, cancels and orders in Redis match what buyers heard', async (t) => {
  const mixed = load(1000, 990, { ok: 800, limit: 3 }, { paid: 100, cancelled: 90, newOrders: 400, replays: 300 });
  t.same(judgeMixed(mixed, books(310, { paid: 105, cancelled: 90, orders: 400 })), [], '10 unanswered may have paid');
  t.match(judgeMixed(mixed, books(300, { paid: 99, cancelled: 90, orders: 400 })).join(), /paid orders: 99 in Redis, but 100 confirmed/);
  t.match(judgeMixed(mixed, books(300, { paid: 100, cancelled: 90, orders: 411 })).join(), /orders made: 411/);
  t.match(judgeMixed(mixed, books(300, { cancelled: 90, orders: 400 })).join(), /did not report paid/);
  t.match(judgeMixed(load(10, 10, { ok: 9, soldOut: 1 }), books(0, { paid: 0, cancelled: 0, orders: 0 })).join(), /sold-out answers/);
});

function measurement(scenario: string, system: SystemName, answeredPerSec: number, p99 = 2, problems: string[] = []): Measurement {
  const answered = answeredPerSec * 10;
  return {
    plan: { scenario, system, layout: oneNode(), sale: { id: 'S', stock: 100, anonymous: false }, load: { tool: 'wrk', script: 'buyers', mode: 'user', seconds: 10 }, judge: 'sale' },
    round: 0,
    connections: 100,
    layout: '1 node x 2 threads, direct',
    load: { ...load(answered, answered, { ok: 100, soldOut: answered - 100 }), latencyMs: { p50: 1, p99, p999: 2 * p99, max: 3 * p99 } },
    books: books(system === 'hello' ? 0 : 100),
    cpu: null,
    problems,
  };
}

t.test('rows: ratios to hello and typical of the same scenario; targets from one run', async (t) => {
  const ms = [
    measurement('sale-path', 'hello', 100_000),
    measurement('sale-path', 'ticket-spike', 60_000, 4),
    measurement('sale-path', 'typical', 30_000),
    measurement('million', 'hello', 40_000),
    measurement('million', 'ticket-spike', 39_000),
    measurement('million', 'article', 5_000),
    measurement('sold-out', 'ticket-spike', 90_000, 2.5, ['oversold']),
  ];
  const rows = buildRows(ms);
  const row = (s: string, sys: string) => rows.find((r) => r.scenario === s && r.system === sys)!;
  t.equal(row('sale-path', 'ticket-spike').ratioToHello, 0.6);
  t.equal(row('sale-path', 'ticket-spike').ratioToTypical, 2);
  t.equal(row('sale-path', 'hello').ratioToHello, null, 'hello is not compared with itself');
  t.equal(row('million', 'ticket-spike').ratioToTypical, null, 'no typical in that scenario');
  t.equal(row('sale-path', 'ticket-spike').committedPerSec, 10, '100 sold over 10 s');
  t.equal(row('sale-path', 'hello').audit, 'n/a');
  t.equal(row('sold-out', 'ticket-spike').audit, 'FAILED');
  t.equal(ratio(1, 0), null);
  const targets = buildTargets(rows);
  const target = (what: RegExp) => targets.find((x) => what.test(x.what))!;
  t.equal(target(/sale-path: ticket-spike \/ typical/).met, true, '2x typical');
  t.equal(target(/million: ticket-spike \/ hello/).met, true, '0.975 >= 0.95');
  t.equal(target(/million: ticket-spike \/ article/).got, '7.8x');
  t.equal(target(/million: ticket-spike \/ article/).met, false);
  t.equal(target(/success p99/).met, true);
  t.equal(target(/sold-out: ticket-spike p99/).met, false, '2.5 ms > 2 ms');
  const report = buildReport(ms, { when: '2030-01-02T03:04:05Z', command: 'npm run bench', machine: { cpus: 2, model: 'cpu', loadAverage: [1, 2, 3] }, settings: { redis: 'AOF' }, seconds: 300 });
  t.equal(report.auditsPassed, false);
  const md = reportMarkdown(report);
  t.match(md, /\| sale-path \| ticket-spike \| 1 node x 2 threads, direct \| 1 \| 600,000 \| 60,000 \|/);
  t.match(md, /\*\*sold-out \/ ticket-spike FAILED\*\*: oversold/);
  t.match(md, /\| sold-out: ticket-spike p99 at 100 connections \| <= 2 ms \| 2.5 ms \| \*\*no\*\* \|/);
  const svg = reportSvg(report);
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.equal((svg.match(/<rect /g) ?? []).length >= 7 * 4, true, 'a bar per row and three percentile bars per row');
  t.notMatch(svg, /NaN|undefined|Infinity/);
});

t.test('options: defaults, --quick, and errors that name the option', async (t) => {
  const full = parseBenchOptions([]);
  if (full === 'help') throw new Error('unexpected');
  t.same(full.scenarios, ['sale-path', 'sale-path-400', 'sale-path-1000', 'sold-out', 'million', 'article', 'mixed']);
  t.equal(full.duration, 4, 'one round of 4 s: three rounds measure each system 12 s');
  t.equal(full.buyers, 1_000_000);
  t.equal(full.connections, 100);
  const quick = parseBenchOptions(['--quick', '--scenario', 'million,sale-path']);
  if (quick === 'help') throw new Error('unexpected');
  t.same(quick.scenarios, ['sale-path', 'million'], 'in the set order');
  t.ok(quick.duration <= 2 && quick.buyers <= 50_000, 'small sizes');
  t.equal(parseBenchOptions(['--help']), 'help');
  t.throws(() => parseBenchOptions(['--scenario', 'nope']), /--scenario nope/);
  t.throws(() => parseBenchOptions(['--duration', '1.5']), /--duration must be a whole number/);
  t.throws(() => parseBenchOptions(['--connections', '1', '--threads', '2']), /--connections/);
  t.throws(() => parseBenchOptions(['--bogus']));
});
