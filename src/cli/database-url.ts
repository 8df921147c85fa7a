import { checkDatabaseUrl } from '../config/node-config.js';
import { readUpState } from '../launcher/state.js';

/** The --database option of the CLI commands that read the order store; each command words its own help. */
export const DATABASE_OPTION = {
  type: 'text',
  env: 'DATABASE_URL',
  value: 'URL',
  url: 'may-carry-password',
  check: checkDatabaseUrl,
  help: 'PostgreSQL, the order store (default: the database of a running `ticket-spike up`); a URL with a password only by the variable',
} as const;

/**
 * The order store a command uses: --database / DATABASE_URL, else the PostgreSQL of a running `ticket-spike up`
 * (its state file, as for Redis: src/cli/redis-url.ts), else none.
 */
export function discoveredDatabaseUrl(
  given: string | undefined,
  env: NodeJS.ProcessEnv,
  runningUp: () => string | undefined = () => readUpState(env)?.databaseUrl,
): string | undefined {
  if (given !== undefined && given !== '') return given;
  return runningUp();
}
