// The dependency rule of docs/architecture.md, read from the imports themselves: a file under src/ imports
// only its own folder and folders below it, never a folder beside it or above it.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

/** Higher imports lower, never the reverse; folders on one floor do not import each other. */
const FLOORS: string[][] = [
  ['cli'],
  ['launcher', 'node'],
  ['http'],
  ['sale'],
  ['redis', 'store'],
  ['auth', 'config', 'log', 'metrics', 'tickets'],
  ['rules', 'native-free-shm'],
];

/** Packages only some floors may use: the hot path's and the authority's clients stay where they belong. */
const PACKAGE_USERS: Record<string, string[]> = {
  'uWebSockets.js': ['http', 'node'],
  ioredis: ['redis', 'sale', 'node', 'cli', 'launcher'],
  piscina: ['tickets'],
  'fast-jwt': ['auth'],
  'prom-client': ['metrics'],
  pino: ['log', 'launcher'],
  // The order store's client: everyone else goes through src/store.
  pg: ['store'],
  'pg-copy-streams': ['store'],
  // The order-id tag (src/sale/ids.ts): made and checked by the sale floor only.
  siphash24: ['sale'],
};

const floorOf = new Map(FLOORS.flatMap((floor, i) => floor.map((folder) => [folder, i] as const)));

export interface Import {
  from: string;
  specifier: string;
}

/** Every static import, re-export and dynamic import with a literal specifier, as text. */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const patterns = [/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gm, /^\s*import\s+'([^']+)'/gm, /\bimport\(\s*'([^']+)'\s*\)/g];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1]);
  return specs;
}

/** The src/ folder a file or import lands in ('native-free-shm' for the workspace package), or null. */
export function folderOf(fromFile: string, specifier: string): string | null {
  if (specifier === 'native-free-shm') return 'native-free-shm';
  if (!specifier.startsWith('.')) return null;
  const target = relative(SRC, resolve(dirname(fromFile), specifier));
  if (target.startsWith('..')) return '(outside src)';
  return target.split(sep)[0];
}

/** The rule's verdict on one import: null when allowed, else why not. */
export function violation(fromFolder: string, toFolder: string): string | null {
  if (fromFolder === toFolder) return null;
  const from = floorOf.get(fromFolder);
  const to = floorOf.get(toFolder);
  if (from === undefined) return `src/${fromFolder} has no floor in the rule: add it to docs/architecture.md and this test`;
  if (to === undefined) return `${toFolder} has no floor in the rule`;
  if (to === from) return `${fromFolder} and ${toFolder} are on one floor and must not import each other`;
  if (to < from) return `${fromFolder} imports ${toFolder}, which is above it`;
  return null;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

t.test('the rule itself: what it allows and what it refuses', async (t) => {
  t.equal(violation('http', 'sale'), null, 'http -> sale: down');
  t.equal(violation('cli', 'native-free-shm'), null, 'cli -> the bottom floor: down');
  t.match(violation('http', 'node'), /above/, 'a route importing from src/node is refused');
  t.match(violation('sale', 'http'), /above/);
  t.match(violation('launcher', 'node'), /one floor/, 'launcher and node are siblings');
  t.match(violation('config', 'log'), /one floor/);
  t.match(violation('redis', 'store'), /one floor/, 'the two stores are siblings');
  t.equal(violation('sale', 'store'), null, 'sale may use the order store');
  t.equal(violation('launcher', 'store'), null);
  t.match(violation('newfolder', 'rules'), /no floor/, 'a new folder must be placed first');
  const route = join(SRC, 'http', 'routes', 'buy.ts');
  t.equal(folderOf(route, '../../node/thread/ports.js'), 'node');
  t.equal(folderOf(route, '../reply.js'), 'http');
  t.equal(folderOf(route, 'node:crypto'), null);
  t.same(importsOf("import { a } from '../x.js';\nimport type { B } from './y.js';\nexport { c } from '../../z.js';\nconst m = await import('./w.js');"), [
    '../x.js',
    './y.js',
    '../../z.js',
    './w.js',
  ]);
});

t.test('every import under src/ follows the rule', async (t) => {
  const files = sourceFiles(SRC);
  t.ok(files.length > 50, `read ${files.length} files`);
  const broken: string[] = [];
  for (const file of files) {
    const from = relative(SRC, file).split(sep)[0];
    if (from.endsWith('.ts')) {
      broken.push(`src/${from}: every file lives in a folder with a floor`);
      continue;
    }
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const to = folderOf(file, specifier);
      if (to !== null) {
        const why = violation(from, to);
        if (why !== null) broken.push(`${relative(ROOT, file)} imports '${specifier}': ${why}`);
      }
      const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
      const users = PACKAGE_USERS[pkg];
      if (users !== undefined && !users.includes(from)) broken.push(`${relative(ROOT, file)} uses ${pkg}, which only ${users.join(', ')} may use`);
    }
  }
  t.same(broken, [], 'no import runs upward or sideways');
});

t.test('no file under src/ is over 300 lines', async (t) => {
  const long = sourceFiles(SRC)
    .map((file) => [relative(ROOT, file), readFileSync(file, 'utf8').split('\n').length] as const)
    .filter(([, lines]) => lines > 300);
  t.same(long, [], 'split a file by job before it grows past 300 lines');
});
