import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LaunchError } from './errors.js';
import { findProjectRoot } from './paths.js';
import { addressLimitPlaceholders, type AddressLimitOptions } from './nginx-limits.js';
import { httpReady } from './probe.js';
import type { ChildSpec } from './supervisor.js';

export interface Upstream {
  host: string;
  port: number;
  weight: number;
}

export interface NginxRenderOptions extends AddressLimitOptions {
  /** Absolute dir for pid, lock, error log and temp paths (nginx's -p prefix). */
  prefix: string;
  /** Port buyers connect to. */
  port: number;
  /** Listen address (loopback by default). */
  host?: string;
  upstreams: Upstream[];
  workerProcesses?: number;
  /** The whole `user ...;` line; default: `user nobody nogroup;` when root, nothing otherwise. */
  userDirective?: string;
}

/** The template shipped in nginx/nginx.conf at the project root. */
export function readNginxTemplate(projectRoot: string = findProjectRoot()): string {
  return readFileSync(join(projectRoot, 'nginx', 'nginx.conf'), 'utf8');
}

/** As root nginx switches its workers to an unprivileged user; as anyone else `user` would only warn. */
export function defaultUserDirective(): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) return '';
  let group = 'nogroup';
  try {
    if (!/^nogroup:/m.test(readFileSync('/etc/group', 'utf8'))) group = 'nobody';
  } catch {
    group = 'nobody';
  }
  return `user nobody ${group};`;
}

/** Fills the template. Every {{NAME}} must be known; an unfilled one is a bug, not a config. */
export function renderNginxConf(template: string, options: NginxRenderOptions): string {
  if (options.upstreams.length === 0) throw new RangeError('renderNginxConf: at least one upstream');
  for (const u of options.upstreams) {
    if (!Number.isInteger(u.port) || u.port < 1 || u.port > 65535) throw new RangeError(`renderNginxConf: bad upstream port ${u.port}`);
    if (!Number.isInteger(u.weight) || u.weight < 1) throw new RangeError(`renderNginxConf: weight must be an integer >= 1, got ${u.weight}`);
  }
  if (/[\s;{}"']/.test(options.prefix)) throw new RangeError(`renderNginxConf: the prefix may not contain spaces, quotes, ; or braces: ${options.prefix}`);
  const workers = options.workerProcesses ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError('renderNginxConf: workerProcesses must be >= 1');
  const values: Record<string, string> = {
    USER: options.userDirective ?? defaultUserDirective(),
    WORKER_PROCESSES: String(workers),
    PREFIX: options.prefix,
    LISTEN: `${options.host ?? '127.0.0.1'}:${options.port}`,
    // max_fails=1 fail_timeout=2s: one failed connect takes a dead node out for 2 s, then nginx probes it
    // again with a live request (the supervisor restarts it within ~100 ms, so it is usually back).
    UPSTREAM_SERVERS: options.upstreams
      .map((u) => `        server ${u.host}:${u.port} weight=${u.weight} max_fails=1 fail_timeout=2s;`)
      .join('\n'),
    ...addressLimitPlaceholders(options),
  };
  const out = template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new RangeError(`renderNginxConf: unknown placeholder ${whole}`);
    return value;
  });
  return out;
}

/** Creates the prefix dir and writes nginx.conf into it; returns the conf path. */
export function writeNginxConf(conf: string, prefix: string): string {
  mkdirSync(prefix, { recursive: true });
  const file = join(prefix, 'nginx.conf');
  writeFileSync(file, conf);
  return file;
}

export function nginxArgs(prefix: string, confFile: string): string[] {
  // -e: the startup error log (before nginx.conf is read) also goes under the prefix, never /var/log.
  return ['-p', prefix, '-c', confFile, '-e', join(prefix, 'error.log')];
}

/** `nginx -t` on the rendered file; a failure names nginx's own complaint. */
export function testNginxConf(binary: string, prefix: string, confFile: string): void {
  const result = spawnSync(binary, ['-t', '-q', ...nginxArgs(prefix, confFile)], { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) {
    const why = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().replace(/\s+/g, ' ') || String(result.error ?? 'unknown');
    throw new LaunchError('NGINX_CONFIG', `nginx -t rejected ${confFile}: ${why}`);
  }
}

export function nginxSpec(binary: string, prefix: string, confFile: string, port: number, logFile: string): ChildSpec {
  return {
    name: 'nginx',
    command: binary,
    args: nginxArgs(prefix, confFile),
    // The master's title keeps its argv: "nginx: master process /usr/sbin/nginx -p <prefix> -c <conf> ...".
    cmdlineHas: [basename(binary), `-p ${prefix} -c ${confFile}`],
    logFile,
    // QUIT: graceful — stop accepting, finish in-flight requests, close idle keep-alive connections.
    stopSignal: 'SIGQUIT',
    stopTimeoutMs: 5000,
    // Ready when a request goes all the way through to a node.
    ready: (signal) => httpReady(port, '/readyz', signal),
    readyTimeoutMs: 15_000,
  };
}
