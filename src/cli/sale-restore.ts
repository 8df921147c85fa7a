import { ConfigError } from '../config/errors.js';
import { parseCommand, type CommandSpec } from '../config/options.js';
import { EngineError } from '../redis/codes.js';
import { DEFAULT_MAX_SALES, MAX_SALES, SALE_ID, checkText } from '../rules/input-rules.js';
import { createPool } from '../store/connection.js';
import { OrderStore } from '../store/order-store.js';
import { DATABASE_OPTION, discoveredDatabaseUrl } from './database-url.js';
import { discoveredRedisUrl, REDIS_OPTION } from './redis-url.js';
import { withEngine } from './redis-client.js';

export const SALE_RESTORE_COMMAND = {
  name: 'ticket-spike sale restore',
  usage: '--sale S | --all [--redis URL] [--database URL]',
  summary: 'rebuilds a sale Redis lost entirely from PostgreSQL (counters, live holds, holders, records); never one Redis has',
  options: {
    sale: { type: 'text', value: 'S', check: (v: string) => checkText(SALE_ID, v), help: 'the sale to rebuild' },
    all: { type: 'flag', help: 'every sale PostgreSQL has and Redis has not' },
    'max-sales': { type: 'int', min: MAX_SALES.min, max: MAX_SALES.max, default: DEFAULT_MAX_SALES, help: "the nodes' --max-sales (the sale takes a registry place again)" },
    redis: REDIS_OPTION,
    database: DATABASE_OPTION,
  },
  footer: `What PostgreSQL had not yet received when Redis was lost (orders made or paid since the order worker's last
commit) is lost with it: run replicas (up --redis-replicas) to close that window. Exit 0 restored, 1 nothing to
restore (the sale is in Redis, or PostgreSQL does not know it), 2 bad usage.`,
} as const satisfies CommandSpec;

/** `ticket-spike sale restore` */
export async function runSaleRestore(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v } = parseCommand(SALE_RESTORE_COMMAND, argv, env);
  if ((v.sale === undefined) === !v.all) throw new ConfigError('--sale', 'give one sale (--sale S) or --all');
  const databaseUrl = discoveredDatabaseUrl(v.database, env);
  if (databaseUrl === undefined) throw new ConfigError('--database', 'a restore reads PostgreSQL: give DATABASE_URL (or run it beside `ticket-spike up`)');
  const pool = createPool(databaseUrl, { max: 2, name: 'ticket-spike-restore' });
  const store = new OrderStore(pool);
  try {
    return await withEngine(
      v.redis ?? discoveredRedisUrl(env),
      async (engine) => {
        const ids = v.sale !== undefined ? [v.sale] : await missingInRedis(store, (id) => engine.status(id).then((s) => s !== null));
        if (ids.length === 0) process.stdout.write('every sale PostgreSQL has is in Redis: nothing to restore\n');
        let refused = 0;
        for (const id of ids) {
          try {
            const r = await engine.restore(store, id, v['max-sales']);
            process.stdout.write(
              `restored sale ${id}: ${r.total} tickets, ${r.held} held, ${r.paid} paid, ${r.cancelled} cancelled, ${r.expired} expired, ` +
                `${r.records} idempotency records, ${r.checkedIn} check-ins${r.replaced.length > 0 ? `; replaced the leftovers ${r.replaced.join(' ')}` : ''}\n`,
            );
          } catch (err) {
            if (!(err instanceof EngineError) || (err.code !== 'ERR_SALE_EXISTS' && err.code !== 'ERR_UNKNOWN_SALE')) throw err;
            process.stderr.write(`${err.message}\n`);
            refused++;
          }
        }
        return refused > 0 ? 1 : 0;
      },
      { commandTimeoutMs: 10_000 },
    );
  } finally {
    await pool.end().catch(() => {});
  }
}

async function missingInRedis(store: OrderStore, inRedis: (id: string) => Promise<boolean>): Promise<string[]> {
  const missing: string[] = [];
  for (const id of await store.saleIds()) if (!(await inRedis(id))) missing.push(id);
  return missing;
}
