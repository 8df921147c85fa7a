import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * `npm run chaos:mutants [-- --seed N --seconds S --only NAME]`: proves the chaos run can fail. Each patch
 * in test/chaos/mutants/ breaks one invariant the way a plausible change would (the article's `>=`, a
 * replay that writes again, the sold-out check in front of the replay); this copies the project to a temp
 * dir, applies one patch, runs `test/chaos/run.ts` there with the given seed, and expects exit 1.
 * Prints one line per mutant; exits 1 when any mutant survived.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MUTANTS = join(ROOT, 'test', 'chaos', 'mutants');

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '20' },
    only: { type: 'string' },
  },
});

let survived = 0;
for (const file of readdirSync(MUTANTS).filter((f) => f.endsWith('.patch')).sort()) {
  const name = file.replace(/\.patch$/, '');
  if (values.only !== undefined && values.only !== name) continue;
  const dir = mkdtempSync(join(tmpdir(), `ts-mutant-${name}-`));
  try {
    for (const entry of ['src', 'lua', 'nginx', 'test', 'package.json', 'tsconfig.json', 'tsconfig.base.json']) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    symlinkSync(join(ROOT, 'native-free-shm'), join(dir, 'native-free-shm'));
    const patched = spawnSync('git', ['apply', '-p1', join(MUTANTS, file)], { cwd: dir, encoding: 'utf8' });
    if (patched.status !== 0) throw new Error(`${file} does not apply: ${patched.stderr}`);
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=ticket-spike-source', 'test/chaos/run.ts', '--seed', values.seed, '--seconds', values.seconds],
      { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const lines = run.stdout.split('\n');
    const caught = run.status === 1 && lines.some((l) => l.includes('invariant violations'));
    if (!caught) survived++;
    const first = lines.find((l) => l.startsWith('  - ')) ?? run.stderr.split('\n')[0] ?? '';
    process.stdout.write(`${caught ? 'caught  ' : 'SURVIVED'} ${name} (seed ${values.seed}, ${values.seconds} s, exit ${run.status})${caught ? `: ${first.trim()}` : ''}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.exit(survived === 0 ? 0 : 1);
