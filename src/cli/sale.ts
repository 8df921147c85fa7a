import { ConfigError } from '../config/errors.js';
import { parseCommand, type CommandSpec } from '../config/options.js';
import { EngineError } from '../redis/codes.js';
import { DEFAULT_MAX_SALES, HOLD_SECONDS, MAX_SALES, PER_USER_LIMIT, SALE_ID, SALE_TOTAL, checkText } from '../rules/input-rules.js';
import { checkSaleInput } from '../rules/sale-config.js';
import { DEFAULT_PASS_SECONDS, PASS_SECONDS } from '../rules/queue-config.js';
import { seatCatalogue } from '../rules/train-config.js';
import { readFileSync } from 'node:fs';
import { REGISTRY_GRACE_MS } from '../sale/places.js';
import { discoveredRedisUrl, REDIS_OPTION } from './redis-url.js';
import { withEngine } from './redis-client.js';
import { createUnlessLost } from '../sale/fresh-create.js';
import { withOptionalStore } from './database-url.js';
import type { Command } from './command.js';
import { SALE_OPS_COMMANDS } from './sale-ops.js';
import { runSaleRestore, SALE_RESTORE_COMMAND } from './sale-restore.js';

export const SALE_CREATE_COMMAND = {
  name: 'ticket-spike sale create',
  usage: '--id ID (--total N | --train FILE) [options]',
  summary: 'creates a sale; an existing one is left as it is (exit 1)',
  options: {
    id: { type: 'text', value: 'ID', help: `sale id, ${SALE_ID.shape}` },
    total: { type: 'int', min: SALE_TOTAL.min, max: SALE_TOTAL.max, help: 'tickets for sale' },
    train: {
      type: 'text',
      value: 'FILE',
      help: 'a train sale instead: a JSON file {"stations": [...], "coaches": [{"coach","class","seats","layout"}, ...]} (no --total: seats are sold per segment of the route)',
    },
    'per-user-limit': { type: 'int', min: PER_USER_LIMIT.min, max: PER_USER_LIMIT.max, default: 1, help: 'tickets one user may hold' },
    'hold-seconds': { type: 'int', min: HOLD_SECONDS.min, max: HOLD_SECONDS.max, default: 900, help: 'an unpaid hold returns its ticket after this' },
    anonymous: { type: 'flag', help: 'buyers without a user are allowed (and have no limit)' },
    'opens-at': { type: 'text', value: 'ISO', help: 'opening time, e.g. 2030-01-01T10:00:00Z (default: now)' },
    'closes-at': { type: 'text', value: 'ISO', help: 'closing time (default: never: the sale keeps its registry place for good)' },
    queue: { type: 'flag', help: 'a waiting room: buyers join, wait their turn and buy with a pass (needs named buyers; the --queue-* options imply it)' },
    'queue-opens-at': { type: 'text', value: 'ISO', help: 'with a waiting room: admission starts, the pre-queue is shuffled (default: the sale\'s opening)' },
    'queue-from': { type: 'text', value: 'ISO', help: 'with a waiting room: joins are taken from (default: at once)' },
    'queue-rate': { type: 'text', value: 'N|auto', help: 'with a waiting room: places admitted per second, or auto (default: what the sale has left)' },
    'queue-pass-seconds': { type: 'int', min: PASS_SECONDS.min, max: PASS_SECONDS.max, help: `with a waiting room: how long an admitted buyer's pass lasts (default ${DEFAULT_PASS_SECONDS})` },
    'max-sales': {
      type: 'int',
      min: MAX_SALES.min,
      max: MAX_SALES.max,
      default: DEFAULT_MAX_SALES,
      help: "the nodes' --max-sales: the registry capacity when none is stored yet; refused when below the stored one",
    },
    redis: REDIS_OPTION,
  },
  footer: `Refused (exit 1, REGISTRY_FULL) when as many sales are live as the registry's capacity: wait until one
has finished (closesAt + ${REGISTRY_GRACE_MS / 1000} s), or raise --max-sales on every node and the capacity (docs/architecture.md).`,
} as const satisfies CommandSpec;

export const SALE_STATUS_COMMAND = {
  name: 'ticket-spike sale status',
  usage: 'ID [--redis URL]   (or --sale ID)',
  summary: "prints a sale's counters and settings; exit 1 when there is no such sale",
  positionals: true,
  options: {
    sale: { type: 'text', value: 'ID', check: (v: string) => checkText(SALE_ID, v), help: 'the sale (instead of the positional ID)' },
    redis: REDIS_OPTION,
  },
} as const satisfies CommandSpec;

/**
 * `ticket-spike sale create ...`, `sale status ID`, the operations (sale-ops.ts: list, pause, resume, close,
 * add-stock, queue) and `sale restore` (sale-restore.ts), for the dispatch (src/cli/commands.ts).
 */
export const SALE_COMMANDS: readonly Command[] = [
  { spec: SALE_CREATE_COMMAND, run: create },
  { spec: SALE_STATUS_COMMAND, run: status },
  ...SALE_OPS_COMMANDS,
  { spec: SALE_RESTORE_COMMAND, run: runSaleRestore },
];

/** The --queue* flags as the sale rules take the admin API's "queue" object (src/rules/queue-config.ts). */
function queueInput(v: Record<string, unknown>): { queue?: Record<string, unknown> } {
  const given = ['queue-opens-at', 'queue-from', 'queue-rate', 'queue-pass-seconds'].filter((k) => v[k] !== undefined);
  if (v['queue'] !== true && given.length === 0) return {};
  const rate = v['queue-rate'] as string | undefined;
  return {
    queue: {
      opensAt: v['queue-opens-at'],
      preQueueFrom: v['queue-from'],
      admitPerSecond: rate === undefined || rate === 'auto' ? 'auto' : /^\d+$/.test(rate) ? Number(rate) : rate,
      passSeconds: v['queue-pass-seconds'],
    },
  };
}

async function create(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v } = parseCommand(SALE_CREATE_COMMAND, argv, env);
  // Ranges are the flags' own (checked above); the sale rules add the required fields and the time checks.
  const train = v.train === undefined ? {} : { kind: 'train', ...readTrainFile(v.train) };
  const checked = checkSaleInput({
    ...train,
    id: v.id,
    total: v.total,
    perUserLimit: v['per-user-limit'],
    holdSeconds: v['hold-seconds'],
    anonymous: v.anonymous,
    opensAt: v['opens-at'],
    closesAt: v['closes-at'],
    ...queueInput(v),
  });
  if (!checked.ok) throw new ConfigError(`--${checked.field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, checked.problem);
  const sale = checked.value;
  let result: 'created' | 'exists';
  try {
    result = await withOptionalStore(env, (storeHasSale) =>
      withEngine(v.redis ?? discoveredRedisUrl(env), (engine) => createUnlessLost(engine, storeHasSale, sale, v['max-sales'])),
    );
  } catch (err) {
    if (err instanceof EngineError && (err.code === 'ERR_REGISTRY_FULL' || err.code === 'ERR_REGISTRY_CAPACITY' || err.code === 'ERR_SALE_IN_STORE')) {
      process.stderr.write(`${err.code.replace(/^ERR_/, '')}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (result === 'exists') {
    process.stderr.write(`sale ${sale.id} already exists (unchanged); see: ticket-spike sale status ${sale.id}\n`);
    return 1;
  }
  if (sale.train !== undefined) {
    process.stdout.write(`created train sale ${sale.id}: ${sale.train.stations.length} stations, ${seatCatalogue(sale.train).length} seats, ${sale.perUserLimit} per user\n`);
  } else {
    process.stdout.write(`created sale ${sale.id}: ${sale.total} tickets, ${sale.perUserLimit} per user\n`);
  }
  return 0;
}

/** The route and coaches of --train FILE; what is wrong with the file is a ConfigError naming it. */
function readTrainFile(file: string): { stations?: unknown; coaches?: unknown } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('--train', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    const { stations, coaches } = parsed as Record<string, unknown>;
    return { stations, coaches };
  } catch (err) {
    throw new ConfigError('--train', `${file} is not a JSON object {"stations": [...], "coaches": [...]}: ${(err as Error).message}`);
  }
}

async function status(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v, positionals } = parseCommand(SALE_STATUS_COMMAND, argv, env);
  const id = v.sale ?? positionals[0];
  if (id === undefined) throw new ConfigError('sale status', 'give the sale id: ticket-spike sale status ID');
  const sale = checkText(SALE_ID, id);
  if (!sale.ok) throw new ConfigError('sale status ID', sale.problem);
  const result = await withEngine(v.redis ?? discoveredRedisUrl(env), (engine) => engine.status(sale.value));
  if (result === null) {
    process.stderr.write(`no sale ${sale.value}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}
