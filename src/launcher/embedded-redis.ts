import { mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import { redisPing, waitUntil } from './probe.js';
import type { ChildSpec } from './supervisor.js';

export interface EmbeddedRedisOptions {
  binary: string;
  port: number;
  dataDir: string;
  logFile: string;
}

/**
 * `up`'s own redis-server: loopback only, AOF with appendfsync always (a confirmed sale is on disk before
 * the node answers success; costs one fsync per write batch, which the nodes' batching amortises), no RDB
 * snapshots. Restarted in place (same port, same dir) by the supervisor, it replays the AOF.
 */
export function embeddedRedisSpec(options: EmbeddedRedisOptions): ChildSpec {
  mkdirSync(options.dataDir, { recursive: true });
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
    ],
    // Redis replaces its argv with its title, "<binary> 127.0.0.1:<port>" (proc-title-template's default).
    cmdlineHas: [basename(options.binary), `127.0.0.1:${options.port}`],
    logFile: options.logFile,
    // SIGTERM: Redis flushes and fsyncs the AOF, then exits.
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    // PING answers -LOADING while the AOF replays: ready means loaded.
    ready: (signal) => waitUntil(() => redisPing(options.port), signal, 25),
    readyTimeoutMs: 30_000,
  };
}
