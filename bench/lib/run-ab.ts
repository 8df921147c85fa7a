// Runs `ab -n N -c C <url>` — the article's own benchmark, HTTP/1.0, a new connection per request — with -g
// for every request's time, and returns its LoadResult.
import { spawn } from 'node:child_process';
import { trackLoad } from './children.js';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { abLoadResult, parseAbGnuplot, parseAbText } from './ab-summary.js';
import type { LoadResult } from './load-result.js';

export function runAb(url: string, requests: number, concurrency: number, workDir: string): Promise<LoadResult> {
  const gnuplot = join(workDir, `ab-${Date.now()}.tsv`);
  // -s: ab's per-request timeout; -r: a failed receive is counted, not fatal.
  const args = ['-n', String(requests), '-c', String(concurrency), '-s', '10', '-r', '-g', gnuplot, url];
  const command = `ab -n ${requests} -c ${concurrency} ${url}`;
  return new Promise((resolve, reject) => {
    const proc = spawn('ab', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    trackLoad(proc);
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`${command} exited ${code}:\n${out.slice(-2000)}`);
        const times = parseAbGnuplot(readFileSync(gnuplot, 'utf8'));
        resolve(abLoadResult(parseAbText(out), times, command, requests));
      } catch (e) {
        reject(e);
      } finally {
        rmSync(gnuplot, { force: true });
      }
    });
  });
}
