import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LaunchError } from './errors.js';
import { redisPing, waitUntil } from './probe.js';
import type { ChildSpec } from './supervisor.js';

/** The embedded Redis's password, in the var dir beside postgres.password (mode 0600). */
export const REDIS_PASSWORD_FILE = 'redis.password';

/**
 * The embedded Redis's password: made once (24 CSPRNG bytes, base64url) into <var>/redis.password, mode 0600, then
 * read from there at every start, so the AOF's Redis keeps its password and a running node's URL stays valid across
 * restarts. Any local user could otherwise rewrite a sale's total or mark orders paid through the loopback port.
 */
export function redisPassword(varDir: string): string {
  const file = join(varDir, REDIS_PASSWORD_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    const password = randomBytes(24).toString('base64url');
    writeFileSync(file, password + '\n', { mode: 0o600, flag: 'wx' });
    return password;
  }
  const password = text.trim();
  if (!/^[A-Za-z0-9_-]{16,}$/.test(password)) {
    throw new LaunchError('START_FAILED', `${file} does not hold a password up made (16+ of A-Z a-z 0-9 _ -): restore it, or delete it to make a new one`);
  }
  chmodSync(file, 0o600);
  return password;
}

/** How every child reaches the embedded Redis: the password in the URL (passed by environment, never argv). */
export function embeddedRedisUrl(port: number, password: string): string {
  return `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
}

export interface EmbeddedRedisOptions {
  binary: string;
  port: number;
  dataDir: string;
  logFile: string;
  password: string;
}

/**
 * `up`'s own redis-server: loopback only, a password (requirepass), AOF with appendfsync always (a confirmed sale
 * is on disk before the node answers success; costs one fsync per write batch, which the nodes' batching
 * amortises), no RDB snapshots. Restarted in place (same port, same dir, same password) by the supervisor, it
 * replays the AOF.
 *
 * The password reaches Redis on its stdin (`-` as the last argument: Redis reads more config from there), never
 * argv: ps shows every process's arguments to every user. Its files are private: the data dir is 0700 and Redis
 * runs under umask 077 (the supervisor's default for every child), so the AOF it writes — and every AOF rewrite
 * later — is 0600.
 */
export function embeddedRedisSpec(options: EmbeddedRedisOptions): ChildSpec {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(options.dataDir, 0o700);
  return {
    name: 'redis',
    command: options.binary,
    args: [
      '--port', String(options.port),
      '--bind', '127.0.0.1',
      '--protected-mode', 'yes',
      '--dir', options.dataDir,
      '--appendonly', 'yes',
      '--appendfsync', 'always',
      '--save', '',
      '--daemonize', 'no',
      '--logfile', '',
      '--loglevel', 'notice',
      '-',
    ],
    stdin: `requirepass ${options.password}\n`,
    // Redis replaces its argv with its title, "<binary> 127.0.0.1:<port>" (proc-title-template's default).
    cmdlineHas: [basename(options.binary), `127.0.0.1:${options.port}`],
    logFile: options.logFile,
    // SIGTERM: Redis flushes and fsyncs the AOF, then exits.
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    // AUTH, then PING: PING answers -LOADING while the AOF replays, so ready means loaded.
    ready: (signal) => waitUntil(() => redisPing(options.port, '127.0.0.1', options.password), signal, 25),
    readyTimeoutMs: 30_000,
  };
}
