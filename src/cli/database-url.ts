import { checkDatabaseUrl } from '../config/node-config.js';
import { readUpState } from '../launcher/state.js';
import { createPool } from '../store/connection.js';
import { OrderStore } from '../store/order-store.js';

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

/**
 * Runs `use` with "does PostgreSQL know this sale?" when an order store is configured (DATABASE_URL or a running
 * `up`'s), else with null; the pool is closed after.
 */
export async function withOptionalStore<T>(env: NodeJS.ProcessEnv, use: (storeHasSale: ((saleId: string) => Promise<boolean>) | null) => Promise<T>): Promise<T> {
  const url = discoveredDatabaseUrl(env['DATABASE_URL'], env);
  if (url === undefined) return use(null);
  const pool = createPool(url, { max: 1, name: 'ticket-spike-cli' });
  try {
    const store = new OrderStore(pool);
    return await use((id) => store.hasSale(id));
  } finally {
    await pool.end().catch(() => {});
  }
}
