// The fsync bound of npm run bench (bench/lib/fsync.ts): with appendfsync always, C connections each waiting for one
// answer commit at most C purchases per fsync, one lock at most one. The arithmetic, which rows it applies to, and
// the timing's shape on a real directory (a handful of samples: this is not a disk benchmark).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fsyncBound, fsyncStats, measureFsync, percentile, type FsyncTiming } from '../../bench/lib/fsync.js';
import type { Measurement } from '../../bench/lib/measure.js';
import { oneNode } from '../../bench/lib/plan.js';
import { reportMarkdown } from '../../bench/lib/report-md.js';
import { buildReport } from '../../bench/lib/report.js';
import type { SystemName } from '../../bench/lib/system.js';

const twoMs: FsyncTiming = { medianUs: 2000, p90Us: 3000, samples: 200, bytes: 4096, dir: '/tmp' };

t.test('median and nearest-rank p90 of the samples', async (t) => {
  const samples = Array.from({ length: 10 }, (_, i) => (10 - i) * 100); // 1000 .. 100, unsorted
  t.same(fsyncStats(samples, 4096, '/d'), { medianUs: 550, p90Us: 900, samples: 10, bytes: 4096, dir: '/d' });
  t.equal(percentile([1, 2, 3], 100), 3);
  t.equal(percentile([1, 2, 3], 0), 1);
  t.equal(percentile([], 90), 0);
});

t.test('the bound: C / fsync, and 1 / fsync for one purchase at a time', async (t) => {
  const b = fsyncBound(1000, 50_000, twoMs)!;
  t.equal(b.boundPerSec, 500_000, '1000 purchases per 2 ms fsync');
  t.equal(b.oneAtATimePerSec, 500, 'one per 2 ms');
  t.equal(b.ofBound, 0.1, '50,000/s is a tenth of it');
  t.equal(b.perFsync, 100, '50,000/s x 2 ms: 100 purchases per fsync');
  t.equal(fsyncBound(100, 50_000, twoMs)!.boundPerSec, 50_000, 'scales with the connections');
  t.equal(fsyncBound(100, 1, null), null, 'no timing, no bound');
  t.equal(fsyncBound(100, 1, { ...twoMs, medianUs: 0 }), null, 'a 0 µs fsync bounds nothing');
});

function run(scenario: string, system: SystemName, connections: number, committedPerSec: number, commitsEveryPurchase: boolean): Measurement {
  const answered = committedPerSec * 4;
  return {
    plan: { scenario, system, layout: oneNode(), sale: { id: 'S', stock: 50_000_000, anonymous: false }, load: { tool: 'wrk', script: 'buyers', mode: 'user', seconds: 4, connections }, judge: 'sale', commitsEveryPurchase },
    round: 0,
    connections,
    layout: 'l',
    load: {
      tool: 'wrk', command: 'wrk', seconds: 4, sent: answered, answered,
      counts: { ok: answered, soldOut: 0, limit: 0, other: 0, http4xx: 0, http429: 0, http5xx: 0 },
      socketErrors: 0, non2xx: 0, latencyMs: { p50: 1, p99: 2, p999: 3, max: 4 }, extra: {},
    },
    books: { sold: system === 'hello' ? 0 : answered, ok: true, problems: [], detail: {} },
    cpu: null,
    problems: [],
  };
}

t.test('rows: the sale paths get their bound at their own connections; hello and other scenarios none', async (t) => {
  const report = buildReport(
    [
      run('sale-path-1000', 'hello', 1000, 100_000, true),
      run('sale-path-1000', 'ticket-spike', 1000, 50_000, true),
      run('sale-path', 'article', 100, 400, true),
      run('mixed', 'ticket-spike', 100, 5_000, false),
    ],
    { when: '2030-01-01T00:00:00Z', command: 'x', machine: { cpus: 2, model: 'm', loadAverage: [0] }, settings: { fsync: twoMs }, seconds: 1 },
  );
  const row = (s: string, sys: string) => report.rows.find((r) => r.scenario === s && r.system === sys)!;
  t.equal(row('sale-path-1000', 'ticket-spike').fsyncBound?.ofBound, 0.1);
  t.equal(row('sale-path', 'article').fsyncBound?.boundPerSec, 50_000, '100 connections');
  t.equal(row('sale-path', 'article').fsyncBound?.perFsync, 0.8, 'the lock: under one purchase per fsync');
  t.equal(row('sale-path-1000', 'hello').fsyncBound, null, 'hello commits nothing');
  t.equal(row('mixed', 'ticket-spike').fsyncBound, null, 'not every purchase a commit');
  const md = reportMarkdown(report);
  t.match(md, /## The fsync bound/);
  t.match(md, /took 2000 µs \(median\), 3000 µs \(p90\)/);
  t.match(md, /1 \/ fsync = 500\/s/);
  t.match(md, /\| sale-path-1000 \| ticket-spike \| 1,000 \| 50,000 \| 500,000 \| 10\.0% \| 100\.0 \|/);
  t.notMatch(reportMarkdown({ ...report, settings: {} }), /The fsync bound/, 'no timing: no section');
});

t.test('measureFsync: times appends + fdatasync in a directory of its own, then removes it', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'bench-fsync-test-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const timing = measureFsync(parent, 5, 512);
  t.equal(timing.samples, 5);
  t.equal(timing.bytes, 512);
  t.equal(timing.dir, parent);
  t.ok(timing.medianUs > 0 && timing.p90Us >= timing.medianUs, `median ${timing.medianUs} µs, p90 ${timing.p90Us} µs`);
  t.same(readdirSync(parent), [], 'nothing left behind');
});
