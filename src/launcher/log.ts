import { pino, type Logger } from 'pino';

/**
 * `up`'s event log: one JSON line per event on stderr (start, ready, crash, restart, stop), so stdout
 * keeps only the human summary. Synchronous, so the last lines before an exit are never lost.
 */
export function createLauncherLog(level = 'info', name = 'ticket-spike-up'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}

export type { Logger };
