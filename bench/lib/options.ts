// `npm run bench` options: parsed with node:util parseArgs, every one checked with a message that names it.
// --quick shrinks every size so that the whole set runs in about a minute (CI's smoke run), in one round.
import { parseArgs } from 'node:util';

export const SCENARIOS = ['sale-path', 'sale-path-400', 'sale-path-1000', 'sold-out', 'million', 'article', 'mixed'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenarios: ScenarioName[];
  quick: boolean;
  /** Rounds of each duration-bounded scenario, its systems in ABBA order (bench/lib/rounds.ts). */
  rounds: number;
  /** Seconds of each duration-bounded run (one round of one system). */
  duration: number;
  /** Seconds of warm-up before each run: in the sale paths new buyers of the measured sale, elsewhere a sale nobody sells. */
  warmup: number;
  connections: number;
  /** wrk threads. */
  threads: number;
  /** `million`: buyers (purchases, all distinct) and tickets. */
  buyers: number;
  /** `million`: the article's share of the buyers (at its rate a million would take minutes of the budget). */
  articleBuyers: number;
  millionStock: number;
  /** `sold-out`: tickets. */
  soldOutStock: number;
  /** `article`: ab's -n (and the stock: the article sells them all). */
  abRequests: number;
  nginxWorkers: number;
  /** Where report.json, report.md and report.svg go; default bench/results/<date> (-quick). */
  out: string | undefined;
}

export const USAGE = `npm run bench -- [options]
  --scenario S[,S]     ${SCENARIOS.join(', ')} (default: all)
  --rounds N           rounds of each duration-bounded scenario (sale-path, sale-path-400, sale-path-1000,
                       sold-out, mixed), the systems' order reversed every other round (ABBA); the report gives
                       each figure's median over the rounds and each ratio's spread (default 3; --quick 1).
                       million and article are bounded by their buyers and run once
  --duration SECONDS   each duration-bounded run, i.e. one round of one system (default 4; --quick 1)
  --connections N      wrk -c and ab -c (default 100; sale-path-400 and sale-path-1000 keep their own)
  --threads N          wrk -t (default 2)
  --warmup SECONDS     warm-up before each run (default 1; --quick 0)
  --buyers N           million: distinct buyers (default 1000000; --quick 20000)
  --article-buyers N   million: the article's buyers, the first N of them (default 250000; --quick 20000)
  --million-stock N    million: tickets (default 10000; --quick 1000)
  --sold-out-stock N   sold-out: tickets (default 10000; --quick 1000)
  --ab-requests N      article: ab -n, and its stock (default 10000; --quick 1000)
  --nginx-workers N    nginx worker_processes (default 1)
  --quick              every size small, one round: the whole set in about a minute (CI)
  --out DIR            report directory (default bench/results/<date>, or <date>-quick)
  --help`;

function whole(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be a whole number >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

/** Parses argv (without node and the script); throws a RangeError naming the bad option. */
export function parseBenchOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      scenario: { type: 'string', multiple: true },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      warmup: { type: 'string' },
      buyers: { type: 'string' },
      'million-stock': { type: 'string' },
      'article-buyers': { type: 'string' },
      'sold-out-stock': { type: 'string' },
      'ab-requests': { type: 'string' },
      'nginx-workers': { type: 'string' },
      quick: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const names = (values.scenario ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new RangeError(`--scenario ${name}: no such scenario; pick from ${SCENARIOS.join(', ')}`);
  }
  const options: BenchOptions = {
    scenarios: names.length === 0 ? [...SCENARIOS] : SCENARIOS.filter((s) => names.includes(s)),
    quick,
    // 3 rounds of 4 s (+1 s of warm-up) measure each system 12 s, as one 10 s run did, and keep the full set
    // under 10 minutes with the two high-concurrency scenarios added (bench/run.ts's header).
    rounds: whole('rounds', values.rounds, quick ? 1 : 3, 1),
    duration: whole('duration', values.duration, quick ? 1 : 4, 1),
    warmup: whole('warmup', values.warmup, quick ? 0 : 1, 0),
    connections: whole('connections', values.connections, 100, 1),
    threads: whole('threads', values.threads, 2, 1),
    buyers: whole('buyers', values.buyers, quick ? 20_000 : 1_000_000, 1),
    articleBuyers: whole('article-buyers', values['article-buyers'], quick ? 20_000 : 250_000, 1),
    millionStock: whole('million-stock', values['million-stock'], quick ? 1000 : 10_000, 1),
    soldOutStock: whole('sold-out-stock', values['sold-out-stock'], quick ? 1000 : 10_000, 1),
    abRequests: whole('ab-requests', values['ab-requests'], quick ? 1000 : 10_000, 1),
    nginxWorkers: whole('nginx-workers', values['nginx-workers'], 1, 1),
    out: values.out,
  };
  if (options.connections < options.threads) throw new RangeError(`--connections (${options.connections}) must be at least --threads (${options.threads}): wrk gives each thread one or more`);
  return options;
}
