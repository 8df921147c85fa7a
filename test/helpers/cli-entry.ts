import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The compiled CLI that tests run as a child process (`npm test` builds it first: `tsc -b`). */
export const CLI_MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Each TypeScript project and the build info tsc -b writes (or touches) whenever it has caught up with the sources. */
const PROJECTS = [
  { sources: join(ROOT, 'src'), buildInfo: join(ROOT, 'dist', '.tsbuildinfo') },
  { sources: join(ROOT, 'native-free-shm', 'src'), buildInfo: join(ROOT, 'native-free-shm', 'dist', '.tsbuildinfo') },
];

let checked = false;

/**
 * `node` arguments that run `ticket-spike <args>` from dist/. A child process runs the compiled code, not the
 * TypeScript source through tsx: a node from source spent twice the CPU to start (~3 s against ~1.5 s, two
 * threads each transpiling every module), and the suite starts a hundred of them on two cores. What the tests
 * import themselves still comes from source. A dist/ older than any source file is refused loudly, so
 * `npx tap <file>` after an edit never tests yesterday's build.
 */
export function cliArgs(args: string[]): string[] {
  if (!checked) {
    assertBuilt();
    checked = true;
  }
  return [CLI_MAIN, ...args];
}

function assertBuilt(): void {
  for (const project of PROJECTS) {
    let builtAt: number;
    try {
      builtAt = statSync(project.buildInfo).mtimeMs;
    } catch {
      throw new Error(`${project.buildInfo} is missing: run \`npm run build\` before the tests (npm test builds first)`);
    }
    const newer = newestSource(project.sources);
    if (newer.mtimeMs > builtAt) {
      throw new Error(`${newer.path} changed after the last build: run \`npm run build\` before the tests (npm test builds first)`);
    }
  }
}

function newestSource(dir: string): { path: string; mtimeMs: number } {
  let newest = { path: dir, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const candidate = entry.isDirectory() ? newestSource(path) : entry.name.endsWith('.ts') ? { path, mtimeMs: statSync(path).mtimeMs } : newest;
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}
