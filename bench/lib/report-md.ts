// report.md: the table the README carries, the targets, and every audit problem. Pure.
import type { Report, Row } from './report.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const x = (r: number | null) => (r === null ? '—' : `${r.toFixed(2)}×`);

export function tableMarkdown(rows: Row[]): string {
  const head = '| scenario | system | layout | buyers | answered/s | committed/s | p50 ms | p99 ms | p99.9 ms | errors | sold / stock | vs hello | vs typical | audit |';
  const rule = '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |';
  const lines = rows.map(
    (r) =>
      `| ${r.scenario} | ${r.system} | ${r.layout} | ${fmt(r.sent)} | ${fmt(r.answeredPerSec)} | ${r.system === 'hello' ? '—' : fmt(r.committedPerSec)} | ` +
      `${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.p999Ms)} | ${fmt(r.errors)} | ${r.system === 'hello' ? '—' : `${fmt(r.sold)} / ${fmt(r.stock)}`} | ` +
      `${x(r.ratioToHello)} | ${x(r.ratioToTypical)} | ${r.audit} |`,
  );
  return [head, rule, ...lines].join('\n');
}

export function reportMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`# ticket-spike benchmarks — ${report.when.slice(0, 10)}`, '');
  out.push(`\`${report.command}\` — ${report.seconds.toFixed(0)} s in all, on ${report.machine.cpus} cores (${report.machine.model}),`);
  out.push(`load average at the start ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}. wrk/ab, nginx, the servers and Redis share these cores.`, '');
  for (const [k, v] of Object.entries(report.settings)) out.push(`- ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  out.push('', tableMarkdown(report.rows), '');
  out.push('answered/s: answers of any kind a second (the run\'s own time: wrk -d, the buyers\' span for `million`, ab\'s total time);');
  out.push('committed/s: tickets the system\'s Redis holds as sold at the end, over the same time; latencies from wrk\'s histogram');
  out.push('(ab: an HdrHistogram of ab -g\'s per-request times, whole ms); "vs" columns: answered/s over the same scenario\'s hello / typical.', '');
  out.push('## Targets (issue 12)', '', '| target | want | got | met |', '| --- | --- | --- | --- |');
  for (const t of report.targets) out.push(`| ${t.what} | ${t.want} | ${t.got} | ${t.met === null ? '—' : t.met ? 'yes' : '**no**'} |`);
  out.push('', '## Audits', '');
  const failed = report.rows.filter((r) => r.audit === 'FAILED');
  if (failed.length === 0) out.push('Every audit passed: exactly min(stock, demand) sold, nobody above the limit, accounting closes.');
  for (const r of failed) out.push(`- **${r.scenario} / ${r.system} FAILED**: ${r.problems.join('; ')}`);
  out.push('');
  return out.join('\n');
}
