// report.md: the table docs/benchmarks.md carries, the CPU per committed purchase, the fsync bound, the targets, and every
// audit problem. Pure.
import { EXACT_TICKS } from './cpu.js';
import type { Report, Row } from './report.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const x = (r: number | null, spread: [number, number] | null = null) =>
  r === null ? '—' : `${r.toFixed(2)}×${spread === null ? '' : ` (${spread[0].toFixed(2)}–${spread[1].toFixed(2)})`}`;
/** A CPU figure: "~" when it rests on fewer than EXACT_TICKS ticks (then already 2 significant digits). */
const cpu = (us: number | null, ticks: number | null | undefined) =>
  us === null || ticks === null || ticks === undefined ? '—' : ticks < EXACT_TICKS ? `~${us}` : us.toFixed(2);

export function tableMarkdown(rows: Row[]): string {
  const head =
    '| scenario | system | layout | rounds | buyers | answered/s | committed/s | p50 ms | p99 ms | p99.9 ms | server CPU µs/answer | Redis CPU µs/answer | ' +
    'errors | sold / stock | vs hello | vs typical | audit |';
  const rule = '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |';
  const lines = rows.map(
    (r) =>
      `| ${r.scenario} | ${r.system} | ${r.layout} | ${r.rounds} | ${fmt(r.sent)} | ${fmt(r.answeredPerSec)} | ${r.system === 'hello' ? '—' : fmt(r.committedPerSec)} | ` +
      `${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.p999Ms)} | ${cpu(r.serverCpuUsPerAnswer, r.cpuTicks?.server)} | ${cpu(r.redisCpuUsPerAnswer, r.cpuTicks?.redis)} | ` +
      `${fmt(r.errors)} | ${r.system === 'hello' ? '—' : `${fmt(r.sold)} / ${fmt(r.stock)}`} | ` +
      `${x(r.ratioToHello, r.rounds > 1 ? r.ratioToHelloSpread : null)} | ${x(r.ratioToTypical, r.rounds > 1 ? r.ratioToTypicalSpread : null)} | ${r.audit} |`,
  );
  return [head, rule, ...lines].join('\n');
}

function cpuPerCommit(rows: Row[]): string[] {
  const committing = rows.filter((r) => r.serverCpuUsPerCommit !== null);
  if (committing.length === 0) return [];
  const out = ['## CPU per committed purchase', ''];
  out.push('The same CPU over the purchases committed during the measured load (none for hello; none for sold-out, sold before the load).', '');
  out.push('| scenario | system | server CPU µs/commit | Redis CPU µs/commit | ticks (server / Redis, fewest of any round) |', '| --- | --- | ---: | ---: | ---: |');
  for (const r of committing) {
    out.push(
      `| ${r.scenario} | ${r.system} | ${cpu(r.serverCpuUsPerCommit, r.cpuTicks?.server)} | ${cpu(r.redisCpuUsPerCommit, r.cpuTicks?.redis)} | ` +
        `${r.cpuTicks === null ? '—' : `${r.cpuTicks.server} / ${r.cpuTicks.redis ?? '—'}`} |`,
    );
  }
  out.push('');
  return out;
}

function fsyncSection(report: Report): string[] {
  const f = report.settings.fsync;
  const bounded = report.rows.filter((r) => r.fsyncBound !== null);
  if (f === undefined || f === null) return [];
  const out = ['## The fsync bound', ''];
  out.push(
    `The disk under Redis's AOF (${f.dir}): ${f.samples} appends of ${f.bytes} bytes, each followed by fdatasync, took ${f.medianUs} µs (median), ` +
      `${f.p90Us} µs (p90). With appendfsync always Redis fsyncs once per event-loop turn before it answers, so with C connections each`,
    `waiting for one answer at most C purchases commit per fsync: no design can commit more than C / fsync purchases a second (bound).`,
    `A design that commits one purchase per fsync at a time (one lock across the commit, like the article) is held to 1 / fsync = ` +
      `${fmt(1e6 / f.medianUs)}/s. "per fsync": committed/s × the fsync time, the purchases each fsync would carry if Redis fsynced back to back (at most C).`,
    '',
  );
  if (bounded.length > 0) {
    out.push('| scenario | system | connections | committed/s | bound C / fsync | of bound | per fsync |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of bounded) {
      const b = r.fsyncBound!;
      out.push(`| ${r.scenario} | ${r.system} | ${fmt(b.connections)} | ${fmt(r.committedPerSec)} | ${fmt(b.boundPerSec)} | ${(b.ofBound * 100).toFixed(1)}% | ${b.perFsync.toFixed(1)} |`);
    }
    out.push('');
  }
  return out;
}

export function reportMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`# ticket-spike benchmarks — ${report.when.slice(0, 10)}`, '');
  out.push(`\`${report.command}\` — ${report.seconds.toFixed(0)} s in all, on ${report.machine.cpus} cores (${report.machine.model}),`);
  out.push(`load average at the start ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}. wrk/ab, nginx, the servers and Redis share these cores.`, '');
  for (const [k, v] of Object.entries(report.settings)) out.push(`- ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  out.push('', tableMarkdown(report.rows), '');
  out.push('Each figure is the median over the row\'s rounds (each round a fresh system and Redis; the systems\' order reversed every other');
  out.push('round); errors are summed over them. answered/s: answers of any kind a second (the run\'s own time: wrk -d, the buyers\' span for');
  out.push('`million`, ab\'s total time); committed/s: tickets the system\'s Redis holds as sold at the end, over the same time; latencies');
  out.push('from wrk\'s histogram (ab: an HdrHistogram of ab -g\'s per-request times, whole ms). CPU: user + sys time of the servers (nodes,');
  out.push('a cluster\'s primary and workers, the article; not nginx) and of Redis during the measured load, over its answers; "~": fewer');
  out.push(`than ${EXACT_TICKS} clock ticks in some round, 2 significant digits. "vs" columns: answered/s over the same round's hello / typical,`);
  out.push('the median over rounds and (with rounds) the spread, lowest–highest.', '');
  out.push(...cpuPerCommit(report.rows));
  out.push(...fsyncSection(report));
  out.push('## Targets (issues 12 and 21)', '', '| target | want | got | met |', '| --- | --- | --- | --- |');
  for (const t of report.targets) out.push(`| ${t.what} | ${t.want} | ${t.got} | ${t.met === null ? '—' : t.met ? 'yes' : '**no**'} |`);
  out.push('', '## Audits', '');
  const failed = report.rows.filter((r) => r.audit === 'FAILED');
  if (failed.length === 0) out.push('Every audit of every round passed: exactly min(stock, demand) sold, nobody above the limit, accounting closes.');
  for (const r of failed) out.push(`- **${r.scenario} / ${r.system} FAILED**: ${r.problems.join('; ')}`);
  out.push('');
  return out.join('\n');
}
