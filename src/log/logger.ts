import { pino, type Logger } from 'pino';

/**
 * Structured logs (one JSON line each) for the main thread and every uWS thread. Asynchronous destination
 * (sonic-boom buffers and writes fd 1 from the calling thread) so a log line never blocks an event loop; the
 * hot path does not log per request at all — per-purchase lines go to the stat log instead.
 */
export function createLogger(name: string, level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { name, level, base: { pid: process.pid, ...bindings } },
    pino.destination({ dest: 1, sync: false, minLength: 0 }),
  );
}

export type { Logger };
