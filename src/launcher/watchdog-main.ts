// Entry of the watchdog process `up` spawns (src/launcher/watchdog.ts): `watchdog-main --up-pid N --var-dir D`.
import { parseArgs } from 'node:util';
import { createLauncherLog } from './log.js';
import { runWatchdog } from './watchdog.js';

const { values } = parseArgs({ options: { 'up-pid': { type: 'string' }, 'var-dir': { type: 'string' } } });
const upPid = Number(values['up-pid']);
const varDir = values['var-dir'];
if (!Number.isInteger(upPid) || upPid <= 1 || varDir === undefined || varDir === '') {
  process.stderr.write('watchdog: usage: watchdog-main --up-pid N --var-dir DIR (started by ticket-spike up)\n');
  process.exit(2);
}
// Only SIGTERM (from `up`) ends it early; a hangup or a stray Ctrl-C must not take the safety net away.
process.on('SIGHUP', () => {});
process.on('SIGINT', () => {});
runWatchdog(upPid, varDir, createLauncherLog(process.env['LOG_LEVEL'] ?? 'info', 'ticket-spike-watchdog')).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`watchdog: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
