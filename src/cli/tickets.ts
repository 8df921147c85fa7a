import { join } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { parseCommand, type CommandSpec } from '../config/options.js';
import { resolveVarDir } from '../launcher/paths.js';
import { loadKeyDir, rotateKey, TicketKeyError } from '../tickets/keys.js';
import type { Command } from './command.js';

export const TICKETS_ROTATE_COMMAND = {
  name: 'ticket-spike tickets rotate-key',
  usage: '[--dir DIR]',
  summary: 'adds a new e-ticket signing key and makes it current; the old keys still verify',
  options: {
    dir: { type: 'text', env: 'TICKET_KEYS_DIR', value: 'DIR', help: 'the key directory (default: <var>/ticket-keys, the one `up` uses); made 0700 when missing' },
  },
  footer: `Nodes started with --ticket-keys DIR re-read it every 5 s (--ticket-keys-reload-ms), or at once on SIGHUP. To retire a key, delete
its <kid>.pem once no ticket signed with it should pass a gate any more.`,
} as const satisfies CommandSpec;

/** `ticket-spike tickets rotate-key`, for the dispatch (src/cli/commands.ts). */
export const TICKETS_COMMANDS: readonly Command[] = [{ spec: TICKETS_ROTATE_COMMAND, run: runRotateKey }];

/** `ticket-spike tickets rotate-key [--dir DIR]`. */
export function runRotateKey(argv: string[], env: NodeJS.ProcessEnv): number {
  const { values } = parseCommand(TICKETS_ROTATE_COMMAND, argv, env);
  const dir = values.dir ?? join(resolveVarDir(undefined, undefined, env), 'ticket-keys');
  try {
    const key = rotateKey(dir);
    const all = loadKeyDir(dir);
    process.stdout.write(`${dir}: new current key ${key.kid}; ${all.keys.length} key(s) verify (${all.keys.map((k) => k.kid).join(', ')})\n`);
    return 0;
  } catch (err) {
    if (err instanceof TicketKeyError) throw new ConfigError('--dir (or TICKET_KEYS_DIR)', err.message);
    throw err;
  }
}
