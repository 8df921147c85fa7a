// npm run bench — issue 12's harness: every scenario (bench/scenarios/) against ticket-spike and the baselines
// (bench/baselines/), each on its own fresh Redis with the same flags, one run after the other on this
// machine; then bench/results/<date>/report.json, report.md and report.svg. Exits 1 when any audit failed,
// 2 on bad options. Everything it starts is stopped by pid, also on an error or Ctrl-C.
//   npm run bench                       the full set (about 6 minutes here)
//   npm run bench -- --quick            the whole set small, in about a minute (CI)
//   npm run bench -- --scenario million --buyers 200000
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopAllChildren } from './lib/children.js';
import { measure, type Measurement } from './lib/measure.js';
import { parseBenchOptions, USAGE, type BenchOptions } from './lib/options.js';
import { ROOT } from './lib/paths.js';
import { progressBar } from './lib/progress.js';
import { REDIS_SETTINGS } from './lib/redis.js';
import { reportMarkdown, tableMarkdown } from './lib/report-md.js';
import { reportSvg } from './lib/report-svg.js';
import { buildReport } from './lib/report.js';
import { SCENARIO_BY_NAME } from './scenarios/index.js';

let options: BenchOptions;
try {
  const parsed = parseBenchOptions(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    process.exit(0);
  }
  options = parsed;
} catch (err) {
  console.error(`npm run bench: ${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}

const started = Date.now();
const when = new Date();
const outDir = options.out ?? join(ROOT, 'bench', 'results', `${when.toISOString().slice(0, 10)}${options.quick ? '-quick' : ''}`);
const workDir = mkdtempSync(join(tmpdir(), 'ts-bench-'));
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping every server this run started`);
    void stopAllChildren().finally(() => process.exit(130));
  });
}

// The nodes run the built JavaScript (as `npm start` does): build it first.
execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: ROOT, stdio: 'inherit' });

const plans = options.scenarios.flatMap((name) => SCENARIO_BY_NAME[name].plans(options));
const progress = progressBar(plans.length);
const measurements: Measurement[] = [];
let crashed: unknown;
try {
  for (const plan of plans) {
    if (interrupted) break;
    const label = `${plan.scenario} / ${plan.system}`;
    const m = await measure(plan, options, workDir, (step) => progress.step(`${label}: ${step}`));
    measurements.push(m);
    const rate = Math.round(m.load.answered / m.load.seconds).toLocaleString('en-US');
    const audit = plan.system === 'hello' ? '' : m.problems.length === 0 ? ', audit ok' : `, AUDIT FAILED: ${m.problems.join('; ')}`;
    progress.done(`${label}: ${rate} answered/s, p99 ${m.load.latencyMs.p99} ms, sold ${m.books.sold}${audit}`);
  }
} catch (err) {
  crashed = err;
} finally {
  progress.stop();
  await stopAllChildren();
}
if (crashed !== undefined) {
  console.error(`\nnpm run bench: a run could not be made: ${crashed instanceof Error ? crashed.stack : JSON.stringify(crashed)}\nserver logs kept in ${workDir}`);
  process.exit(1);
}

const report = buildReport(measurements, {
  when: when.toISOString(),
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, ''),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadAverage: loadavg() },
  settings: {
    redis: REDIS_SETTINGS,
    wrk: `-t${options.threads} -c${options.connections}, ${options.duration} s per run after ${options.warmup} s of warm-up (a sale nobody sells); every purchase a new buyer`,
    nginx: `the project's nginx/nginx.conf template, ${options.nginxWorkers} worker process(es), no limit_req`,
    scenarios: Object.fromEntries(options.scenarios.map((s) => [s, SCENARIO_BY_NAME[s].about])),
    sizes: { buyers: options.buyers, millionStock: options.millionStock, soldOutStock: options.soldOutStock, abRequests: options.abRequests },
  },
  seconds: (Date.now() - started) / 1000,
});
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
writeFileSync(join(outDir, 'report.md'), reportMarkdown(report));
writeFileSync(join(outDir, 'report.svg'), reportSvg(report));
console.log(`\n${tableMarkdown(report.rows)}\n`);
for (const t of report.targets) console.log(`target ${t.what}: want ${t.want}, got ${t.got}${t.met === false ? '  <- NOT MET' : ''}`);
console.log(`\n${report.seconds.toFixed(0)} s; wrote ${outDir}/report.{json,md,svg}`);
if (!report.auditsPassed) {
  console.error('\n!!! AUDIT FAILED !!!');
  for (const r of report.rows.filter((row) => row.audit === 'FAILED')) console.error(`  ${r.scenario} / ${r.system}: ${r.problems.join('; ')}`);
  console.error(`server logs kept in ${workDir}`);
  process.exit(1);
}
rmSync(workDir, { recursive: true, force: true });
