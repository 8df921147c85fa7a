import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/**
 * The project root: the first directory, walking up from this module, that holds both `lua/` and
 * `package.json`. Works from src/paths.ts under tsx and from dist/src/paths.js after `tsc -b` (dist/ has
 * neither, so the walk continues to the root).
 */
export function projectRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'lua')) && existsSync(join(dir, 'package.json'))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`projectRoot: no directory with lua/ and package.json above ${start}; run from a checkout`);
    }
    dir = parent;
  }
}

/** The directory of the Redis scripts (one file per script, named <name>-<numKeys>.lua). */
export function luaDir(): string {
  return join(projectRoot(), 'lua');
}
