// Runs wrk with one of bench/wrk/*.lua and returns its LoadResult. A budgeted run (a fixed number of
// purchases per thread) is interrupted with SIGINT once every thread printed BENCH-THREAD-DONE: wrk would
// otherwise sleep out its whole -d, and prints its summary on SIGINT just the same.
import { spawn } from 'node:child_process';
import { trackLoad } from './children.js';
import { ROOT } from './paths.js';
import type { LoadResult } from './load-result.js';
import { parseWrkJson, wrkLoadResult } from './wrk-summary.js';

export interface WrkRun {
  url: string;
  script: 'buyers' | 'mixed' | 'fixed' | 'queue';
  args: string[];
  threads: number;
  connections: number;
  /** -d: the run's length, or the cap of a budgeted run. */
  seconds: number;
  /** Purchases per thread; the run ends when they are answered. */
  budgetPerThread?: number;
}

export function wrkArgs(run: WrkRun): string[] {
  return [
    '-t', String(run.threads), '-c', String(run.connections), '-d', `${Math.max(1, Math.round(run.seconds))}s`, '--timeout', '5s',
    '-s', `bench/wrk/${run.script}.lua`, run.url, '--', ...run.args,
  ];
}

export function runWrk(run: WrkRun): Promise<LoadResult> {
  const args = wrkArgs(run);
  const command = `wrk ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const proc = spawn('wrk', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    trackLoad(proc);
    let out = '';
    let err = '';
    let done = 0;
    proc.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      done += text.split('BENCH-THREAD-DONE').length - 1;
      if (run.budgetPerThread !== undefined && done >= run.threads) proc.kill('SIGINT');
    });
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.once('error', reject);
    proc.once('exit', (code, signal) => {
      try {
        if (code !== 0 && signal !== 'SIGINT' && !out.includes('BENCH-JSON')) throw new Error(`${command} exited ${code ?? signal}: ${err}${out}`);
        resolve(wrkLoadResult(parseWrkJson(out), command, run.budgetPerThread !== undefined));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** A short run against a sale no system knows (404 everywhere, no Redis write): JIT, keep-alive pools. */
export async function warmUp(url: string, seconds: number, connections: number): Promise<void> {
  if (seconds <= 0) return;
  await runWrk({ url, script: 'buyers', args: ['WARMUP', 'warm', 'user', '0'], threads: 2, connections, seconds });
}
