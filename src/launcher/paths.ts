import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root: the first directory above this module whose package.json is ticket-spike's.
 * Works from src/launcher (tsx) and from dist/src/launcher (compiled) alike.
 */
export function findProjectRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === 'ticket-spike') return dir;
      } catch {
        // not ours (or unreadable): keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`ticket-spike: no package.json named ticket-spike above ${from}`);
    dir = parent;
  }
}

/**
 * Where `up` keeps its runtime files (Redis data, nginx prefix, logs, up.json): `--var-dir`, else the
 * TICKET_SPIKE_VAR environment variable, else <project root>/var (git-ignored).
 */
export function resolveVarDir(projectRoot?: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const fromEnv = env['TICKET_SPIKE_VAR'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return join(projectRoot ?? findProjectRoot(), 'var');
}

/** True when this module runs from TypeScript source (tsx), false when from compiled dist/. */
export function runningFromSource(): boolean {
  return fileURLToPath(import.meta.url).endsWith('.ts');
}
