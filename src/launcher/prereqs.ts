import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LaunchError } from './errors.js';
import type { Logger } from './log.js';

/** Where Debian puts daemons; often not on a non-root PATH. */
const SYSTEM_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

/** The Debian package providing each binary `up` (redis-server, nginx) or the tests and benchmarks need. */
export const DEBIAN_PACKAGE: Record<string, string> = {
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  nginx: 'nginx',
  ab: 'apache2-utils',
  curl: 'curl',
  wrk: 'wrk',
  initdb: 'postgresql',
  pg_ctl: 'postgresql',
  postgres: 'postgresql',
  chromium: 'chromium',
};

/** PostgreSQL's server programs: Debian keeps them off PATH, in /usr/lib/postgresql/<major>/bin. */
const POSTGRES_PROGRAMS = new Set(['initdb', 'pg_ctl', 'postgres']);
const POSTGRES_LIB = '/usr/lib/postgresql';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of `name` on PATH or in the sbin dirs, or undefined. */
export function findBinary(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const file = join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

/**
 * initdb, pg_ctl or postgres of the newest PostgreSQL under /usr/lib/postgresql/<major>/bin (Debian), else on
 * PATH; undefined when none.
 */
export function findPostgresBinary(name: string, env: NodeJS.ProcessEnv = process.env, lib = POSTGRES_LIB): string | undefined {
  let majors: string[] = [];
  try {
    majors = readdirSync(lib).filter((d) => /^\d+(\.\d+)?$/.test(d));
  } catch {
    // no Debian layout
  }
  majors.sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const file = join(lib, major, 'bin', name);
    if (isExecutable(file)) return file;
  }
  return findBinary(name, env);
}

function find(name: string): string | undefined {
  return POSTGRES_PROGRAMS.has(name) ? findPostgresBinary(name) : findBinary(name);
}

/**
 * Finds `name`; when missing and we are root with apt-get, installs its Debian package (and says so);
 * otherwise fails with a message naming the package.
 */
export function ensureBinary(name: string, log: Logger): string {
  const found = find(name);
  if (found !== undefined) return found;
  const pkg = DEBIAN_PACKAGE[name] ?? name;
  const apt = findBinary('apt-get');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || apt === undefined) {
    throw new LaunchError(
      'MISSING_BINARY',
      `${name} not found on PATH or in /usr/sbin — install the Debian package "${pkg}" (sudo apt-get install -y ${pkg})`,
    );
  }
  log.warn({ binary: name, package: pkg }, `${name} is missing: running apt-get install -y ${pkg}`);
  process.stderr.write(`ticket-spike: ${name} is missing; installing the Debian package ${pkg} with apt-get...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync(apt, ['update', '-qq'], { stdio: 'inherit', env });
  const install =
    update.status === 0 ? spawnSync(apt, ['install', '-y', '-qq', pkg], { stdio: 'inherit', env }) : update;
  const after = find(name);
  if (install.status !== 0 || after === undefined) {
    throw new LaunchError('MISSING_BINARY', `apt-get install ${pkg} failed; install it by hand (apt-get install -y ${pkg})`);
  }
  return after;
}
