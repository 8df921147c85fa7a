import { parseArgs } from 'node:util';
import { runChaos } from './chaos.js';
import { FAULTS, HOST_FAULTS, REPLICATED_FAULTS, type Fault } from './faults.js';
import { randomSeed } from './rng.js';

/**
 * `npm run chaos [-- --seed N --seconds S --faults a,b --total T]`: one randomized run through nginx
 * under load with every fault (by default), then the auditor. Prints the seed first, so a failure can be
 * rerun with `--seed`; exits 1 when any invariant was broken.
 */
const USAGE = `usage: npm run chaos -- [--seed N] [--seconds S (default 120)] [--faults ${FAULTS.join(',')}] [--total T] [--nodes N]
       npm run chaos -- --replicated [--faults ${REPLICATED_FAULTS.join(',')}] ...   (a master, two replicas, three Sentinels)
       npm run chaos -- --hosts [--faults ${[...HOST_FAULTS, ...REPLICATED_FAULTS].join(',')}] [--cut-seconds 10] ...
           (as root: a front host, one app host per node with a node, a Redis data node and a Sentinel, a database host)\n`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      seconds: { type: 'string', default: '120' },
      faults: { type: 'string' },
      replicated: { type: 'boolean', default: false },
      hosts: { type: 'boolean', default: false },
      'cut-seconds': { type: 'string', default: '10' },
      total: { type: 'string' },
      nodes: { type: 'string', default: '3' },
      workers: { type: 'string', default: '24' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const int = (name: string, text: string, min: number, max: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} ${text}: expected an integer ${min}..${max}`);
    return n;
  };
  const known: readonly string[] = values.hosts === true ? [...HOST_FAULTS, ...REPLICATED_FAULTS] : values.replicated === true ? REPLICATED_FAULTS : FAULTS;
  const faults = (values.faults ?? (values.hosts === true ? HOST_FAULTS : known).join(',')).split(',').filter((f) => f !== '');
  for (const f of faults) if (!known.includes(f)) throw new UsageError(`--faults: unknown fault ${f} for this layout; known: ${known.join(', ')}`);
  const seconds = int('seconds', values.seconds, 5, 3600);
  const seed = values.seed !== undefined ? int('seed', values.seed, 0, 2 ** 32 - 1) : randomSeed();
  const total = values.total !== undefined ? int('total', values.total, 10, 1_000_000) : seconds * 40;
  const layout = values.hosts === true ? ' --hosts' : values.replicated === true ? ' --replicated' : '';
  process.stdout.write(`chaos: seed ${seed} (rerun: npm run chaos --${layout} --seed ${seed} --seconds ${seconds} --faults ${faults.join(',')})\n`);
  const result = await runChaos({
    seed,
    seconds,
    faults: faults as Fault[],
    total,
    nodes: int('nodes', values.nodes, 1, 8),
    workers: int('workers', values.workers, 1, 256),
    replicated: values.replicated === true,
    hosts: values.hosts === true,
    cutSeconds: int('cut-seconds', values['cut-seconds'], 1, 600),
    log: (line) => process.stdout.write(`chaos: ${line}\n`),
  });
  process.stdout.write(`chaos: ${result.attempts} requests ${JSON.stringify(result.counts)}; sale ${result.sale} ${JSON.stringify(result.final)}\n`);
  if (result.violations.length === 0) {
    process.stdout.write(`chaos: seed ${seed}: every invariant held\n`);
    return 0;
  }
  process.stdout.write(`chaos: seed ${seed}: ${result.violations.length} invariant violations:\n`);
  for (const v of result.violations) process.stdout.write(`  - ${v}\n`);
  return 1;
}

class UsageError extends Error {}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`chaos: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`chaos: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
