// npm run bench — issue 12's harness: every scenario (bench/scenarios/) against ticket-spike and the baselines
// (bench/baselines/), each on its own fresh Redis with the same flags, one run after the other on this
// machine; the duration-bounded scenarios in --rounds rounds, the systems' order reversed every other round
// (issue 21); the disk's fsync timed once first. Then bench/results/<date>/report.json, report.md and report.svg.
// Exits 1 when any audit of any round failed, 2 on bad options. Everything it starts is stopped by pid, also on
// an error or Ctrl-C.
//   npm run bench                       the full set: 3 rounds x 17 runs of 4 s + 1 s warm-up, ~2 s to start,
//                                       drain, audit and stop each (~6 min), then million and article once
//                                       (~2 min): about 8-9 minutes here
//   npm run bench -- --quick            the whole set small, one round, in about a minute (CI)
//   npm run bench -- --scenario million --buyers 200000
//   npm run bench -- --scenario sale-path,sale-path-1000 --rounds 5
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopAllChildren } from './lib/children.js';
import { cpuPerItemUs, EXACT_TICKS, ticksPerSecond } from './lib/cpu.js';
import { measureFsync } from './lib/fsync.js';
import { measure, type Measurement } from './lib/measure.js';
import { parseBenchOptions, USAGE, type BenchOptions } from './lib/options.js';
import { ROOT } from './lib/paths.js';
import { connectionsOf } from './lib/plan.js';
import { progressBar } from './lib/progress.js';
import { REDIS_DATA_PARENT, REDIS_SETTINGS } from './lib/redis.js';
import { scheduleScenario } from './lib/rounds.js';
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

// Scenario by scenario, each one's rounds together: a round's ratios compare runs a few seconds apart.
const runs = options.scenarios.flatMap((name) => scheduleScenario(SCENARIO_BY_NAME[name].plans(options), options.rounds));
warnIfTooFewFiles(Math.max(...runs.map((r) => connectionsOf(r.plan, options))));
// Before any Redis runs: the disk is quiet, and the figure is the same for every row.
const fsync = measureFsync(REDIS_DATA_PARENT);
console.error(`fsync (4 KB append + fdatasync) in ${fsync.dir}: median ${fsync.medianUs} µs, p90 ${fsync.p90Us} µs`);
const progress = progressBar(runs.length);
const measurements: Measurement[] = [];
let crashed: unknown;
try {
  for (const { plan, round } of runs) {
    if (interrupted) break;
    const rounds = runs.filter((r) => r.plan === plan).length;
    const label = `${plan.scenario}${rounds > 1 ? ` round ${round + 1}/${rounds}` : ''} / ${plan.system}`;
    const m = await measure(plan, round, options, workDir, (step) => progress.step(`${label}: ${step}`));
    measurements.push(m);
    const rate = Math.round(m.load.answered / m.load.seconds).toLocaleString('en-US');
    const audit = plan.system === 'hello' ? '' : m.problems.length === 0 ? ', audit ok' : `, AUDIT FAILED: ${m.problems.join('; ')}`;
    const us = (seconds: number | null) => cpuPerItemUs(seconds, m.load.answered)?.toFixed(1) ?? '—';
    const cpu = m.cpu === null ? '' : `, CPU µs/answer server ${us(m.cpu.serverSeconds)} Redis ${us(m.cpu.redisSeconds)}`;
    progress.done(`${label}: ${rate} answered/s, p99 ${m.load.latencyMs.p99} ms, sold ${m.books.sold}${cpu}${audit}`);
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
    wrk: `-t${options.threads} -c${options.connections} (sale-path-400, sale-path-1000: -c400, -c1000), ${options.duration} s per run after ${options.warmup} s of warm-up (as many connections; in the sale paths new buyers of the measured sale, whose purchases are not counted as the load's, elsewhere a sale nobody sells); every purchase a new buyer`,
    rounds: `${options.rounds} of each duration-bounded scenario (sale-path, sale-path-400, sale-path-1000, sold-out, mixed), the systems in order, then reversed, then in order ...; million and article once. Rows: the median of their rounds; ratios taken within a round, median and spread [min, max]`,
    cpu: `user + sys clock ticks (CLK_TCK ${ticksPerSecond()}) of /proc/<pid>/stat just before and after the measured load: servers (nodes with their threads, a cluster's primary and workers, the article) and redis-server apart; nginx in neither. Figures from fewer than ${EXACT_TICKS} ticks in some round: 2 significant digits ("~" in report.md)`,
    fsync,
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

/**
 * wrk needs a descriptor per connection. node raised its own soft limit to the hard one at start, and wrk inherits
 * it; only a hard limit below the connections (plus room for the rest) would make connects fail, counted as errors.
 */
function warnIfTooFewFiles(connections: number): void {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m !== null && m[1] !== 'unlimited' && Number(m[1]) < connections + 100) {
      console.error(`npm run bench: open files limited to ${m[1]}, but a run keeps ${connections} connections: raise ulimit -n (hard) or expect connect errors`);
    }
  } catch {
    // not Linux: nothing to read
  }
}
