import pg from 'pg';

/**
 * Connections to the order store (PostgreSQL, DATABASE_URL).
 *
 * Policy:
 * - connectionTimeoutMillis (default 5000): a dead or unreachable server fails a query fast instead of
 *   queueing it forever; the caller (the order worker) retries, its stream entries stay pending meanwhile.
 * - statement_timeout (default 10 s, set by the server per session) and query_timeout (a little more, on the
 *   client): a stuck statement is cancelled; a timeout means "outcome unknown" — every write in this module
 *   is an idempotent upsert, so the caller simply sends it again.
 * - an 'error' listener on the pool: an idle client whose server went away (restart, kill -9) emits 'error'
 *   on the pool; without a listener Node would crash the process. The broken client is dropped by pg-pool
 *   and the next query opens a new connection — that is the whole reconnect story.
 */
export interface StoreConnectOptions {
  /** Pool size (default 4): one per order worker batch in flight is plenty. */
  max?: number;
  connectionTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Idle clients are closed after this long (default 30 s). */
  idleTimeoutMs?: number;
  /** application_name, visible in pg_stat_activity. */
  name?: string;
  /** Connection-level errors of idle clients (logged by the caller); queries fail on their own. */
  onError?: (err: Error) => void;
}

export const DEFAULT_CONNECTION_TIMEOUT_MS = 5000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** A postgres:// or postgresql:// URL, or a message saying what to send instead. */
export function checkDatabaseUrlText(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `expected a URL like postgresql://user:password@127.0.0.1:5432/db, got ${JSON.stringify(redactUrl(raw))}`;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return `expected a postgres:// or postgresql:// URL, got ${url.protocol}//...`;
  return null;
}

/** The URL with its password replaced by `***` (for logs and messages). */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

export function createPool(url: string, options: StoreConnectOptions = {}): Pool {
  const problem = checkDatabaseUrlText(url);
  if (problem !== null) throw new TypeError(`createPool: ${problem}`);
  const statementTimeout = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 1000,
    application_name: options.name ?? 'ticket-spike',
  });
  const onError = options.onError ?? (() => {});
  pool.on('error', (err) => onError(err));
  return pool;
}

/** One short connection: true when the server accepts a query ('the database system is starting up' -> false). */
export async function databaseReady(url: string, timeoutMs = 1000): Promise<true | string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}
