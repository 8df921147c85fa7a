// CPU per answer and per committed purchase in npm run bench (bench/lib/cpu.ts, report.ts): /proc/<pid>/stat read
// right, ticks turned into µs, and a figure that rests on few 10 ms ticks not given more digits than it has.
import { spawn } from 'node:child_process';
import t from 'tap';
import { cpuFigure, cpuPerItemUs, cpuSince, cpuSnapshot, cpuUse, parseStat } from '../../bench/lib/cpu.js';
import type { Measurement } from '../../bench/lib/measure.js';
import { oneNode } from '../../bench/lib/plan.js';
import { reportMarkdown } from '../../bench/lib/report-md.js';
import { buildReport, buildRows, committedDuringLoad } from '../../bench/lib/report.js';
import type { SystemName } from '../../bench/lib/system.js';

t.test('parseStat: ppid (field 4) and utime + stime (fields 14, 15), whatever the name holds', async (t) => {
  // A process may name itself anything, spaces and ')' included: the fields count from the last ')'.
  const line = '4242 (node (worker) 1) S 4200 4242 4200 0 -1 4194304 100 0 0 0 1234 567 3 4 20 0 11 0 999 1000 2000\n';
  t.same(parseStat(line), { ppid: 4200, ticks: 1234 + 567 }, 'cutime and cstime (16, 17) are not counted');
  t.throws(() => parseStat('garbage'), /not a \/proc/);
});

t.test('ticks to µs per item, and digits only as far as the ticks go', async (t) => {
  const use = cpuUse(250, 40, 100);
  t.equal(use.serverSeconds, 2.5);
  t.equal(use.redisSeconds, 0.4);
  t.equal(cpuUse(10, null, 100).redisSeconds, null, 'no Redis (hello): no Redis share');
  t.equal(cpuPerItemUs(2.5, 100_000), 25, '2.5 s over 100,000 answers: 25 µs each');
  t.equal(cpuPerItemUs(2.5, 0), null, 'no answer: no figure');
  t.equal(cpuPerItemUs(null, 10), null);
  t.equal(cpuFigure(12.3456, 250), 12.35, '>= 100 ticks: 2 decimals');
  t.equal(cpuFigure(12.3456, 99), 12, '< 100 ticks: 2 significant digits');
  t.equal(cpuFigure(0.012345, 3), 0.012);
  t.equal(cpuFigure(0, 0), 0);
  t.equal(cpuFigure(5, null), null);
});

function measurement(system: SystemName, cpu: Measurement['cpu'], sellOutFirst = false): Measurement {
  return {
    plan: { scenario: 'sale-path-400', system, layout: oneNode(), sale: { id: 'S', stock: 10_000_000, anonymous: false }, load: { tool: 'wrk', script: 'buyers', mode: 'user', seconds: 4, connections: 400 }, judge: 'sale', sellOutFirst },
    round: 0,
    connections: 400,
    layout: 'l',
    load: {
      tool: 'wrk', command: 'wrk', seconds: 4, sent: 200_000, answered: 200_000,
      counts: { ok: 100_000, soldOut: 100_000, limit: 0, other: 0, http4xx: 0, http429: 0, http5xx: 0 },
      socketErrors: 0, non2xx: 0, latencyMs: { p50: 1, p99: 2, p999: 3, max: 4 }, extra: {},
    },
    books: { sold: system === 'hello' ? 0 : 100_000, ok: true, problems: [], detail: {} },
    cpu,
    problems: [],
  };
}

t.test('rows: server and Redis CPU per answer and per committed purchase', async (t) => {
  // 300 ticks of the node (3 s) and 50 of Redis (0.5 s) over 200,000 answers, 100,000 of them commits.
  const [row] = buildRows([measurement('ticket-spike', cpuUse(300, 50, 100))]);
  t.equal(row.serverCpuUsPerAnswer, 15);
  t.equal(row.serverCpuUsPerCommit, 30);
  t.equal(row.redisCpuUsPerAnswer, 2.5);
  t.equal(row.redisCpuUsPerCommit, 5);
  t.same(row.cpuTicks, { server: 300, redis: 50 });
  const [soldOut] = buildRows([measurement('ticket-spike', cpuUse(300, 50, 100), true)]);
  t.equal(soldOut.serverCpuUsPerCommit, null, 'sold out before the load: its commits are not in the CPU window');
  t.equal(soldOut.serverCpuUsPerAnswer, 15, 'per answer still holds');
  const [hello] = buildRows([measurement('hello', cpuUse(300, null, 100))]);
  t.equal(hello.redisCpuUsPerAnswer, null, 'hello has no Redis');
  t.equal(hello.serverCpuUsPerCommit, null, 'and commits nothing');
  const [unread] = buildRows([measurement('typical', null)]);
  t.equal(unread.serverCpuUsPerAnswer, null, 'CPU not read: no figure, not 0');
  t.equal(unread.cpuTicks, null);
});

t.test('rows over rounds: the median figure, approximate when any round had under 100 ticks', async (t) => {
  const rounds = [cpuUse(300, 50, 100), cpuUse(320, 60, 100), cpuUse(280, 70, 100)].map((cpu, round) => ({ ...measurement('ticket-spike', cpu), round }));
  const [row] = buildRows(rounds);
  t.equal(row.serverCpuUsPerAnswer, 15, 'median of 14, 15, 16 µs');
  t.equal(row.redisCpuUsPerAnswer, 3, 'median 3 µs, from 50-70 ticks: 2 significant digits');
  t.same(row.cpuTicks, { server: 280, redis: 50 }, 'the fewest ticks of any round');
  const target = (what: string) => buildReport(rounds, { when: '2030-01-01T00:00:00Z', command: 'x', machine: { cpus: 2, model: 'm', loadAverage: [0] }, settings: {}, seconds: 1 }).targets.find((x) => x.what === what)!;
  t.same(target('sale-path-400: ticket-spike node CPU per committed purchase'), { what: 'sale-path-400: ticket-spike node CPU per committed purchase', want: '<= 15 µs', got: '30 µs', met: false });
  t.equal(target('sale-path-400: ticket-spike Redis CPU per committed purchase').met, true, '6 µs <= 8 µs');
  t.equal(target('sale-path-1000: ticket-spike Redis CPU per committed purchase').got, 'not run');
  const md = reportMarkdown(buildReport(rounds, { when: '2030-01-01T00:00:00Z', command: 'x', machine: { cpus: 2, model: 'm', loadAverage: [0] }, settings: {}, seconds: 1 }));
  t.match(md, /\| 15\.00 \| ~3 \|/, 'per answer in the table: exact server, approximate Redis');
  t.match(md, /\| sale-path-400 \| ticket-spike \| 30\.00 \| ~6 \| 280 \/ 50 \|/, 'per commit with its ticks');
});

t.test('/proc: a started process and its children are read, and the ticks move with CPU used', async (t) => {
  // A busy shell stands for a cluster primary, its sleeping child for a worker (and for an idle "Redis"). Not this
  // test process: tap and tsx give it children of their own that may come and go between the two readings.
  const primary = spawn('sh', ['-c', 'sleep 30 & while :; do :; done'], { stdio: 'ignore' });
  const started: number[] = [];
  t.teardown(() => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    primary.kill('SIGKILL');
  });
  await new Promise((resolve) => primary.once('spawn', resolve));
  const giveUpAt = Date.now() + 20_000;
  let before = cpuSnapshot([primary.pid!], undefined);
  while ((before === null || before.serverPids.length < 2) && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    before = cpuSnapshot([primary.pid!], undefined);
  }
  t.ok(before !== null, '/proc readable');
  const worker = before!.serverPids.find((pid) => pid !== primary.pid);
  if (worker !== undefined) started.push(worker);
  t.ok(worker !== undefined, 'the child is found under its parent');
  // The ticks move with the CPU the busy shell gets, however busy the machine: read until 5 have passed.
  const withRedis = cpuSnapshot([primary.pid!], worker);
  let use = cpuSince(withRedis);
  while (use !== null && use.serverTicks < 5 && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    use = cpuSince(withRedis);
  }
  t.ok(use !== null && use.serverTicks >= 5, `server ticks moved: ${use?.serverTicks}`);
  t.equal(use!.redisTicks, 0, 'the sleeping "Redis" used none');
  t.equal(cpuSnapshot([2 ** 22 + 12345], undefined), null, 'a pid that is gone: no figure');
});

t.test("a selling warm-up's purchases are not the load's: committed/s and CPU per commit count the rest", async (t) => {
  // Redis sold 100,000 in all; the warm-up was told 20,000 successes before the measured 4 s began.
  const m = { ...measurement('ticket-spike', cpuUse(240, 40, 100)), soldBeforeLoad: 20_000 };
  t.equal(committedDuringLoad(m), 80_000);
  const [row] = buildRows([m]);
  t.equal(row.committedPerSec, 20_000, '80,000 over 4 s, not 100,000');
  t.equal(row.serverCpuUsPerCommit, 30, '2.4 s of node CPU over 80,000 commits');
  t.equal(row.sold, 100_000, 'the sold column (and the audit) still count everything Redis sold');
  t.equal(committedDuringLoad({ ...m, soldBeforeLoad: 150_000 }), 0, 'never below 0');
});
