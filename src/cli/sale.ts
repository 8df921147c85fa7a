import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { checkSaleFields, isRejection } from '../http/validate.js';
import { MAIN_HELP } from './help.js';
import { resolveRedisUrl } from './redis-url.js';
import { withEngine } from './redis-client.js';

/** `ticket-spike sale create ...` and `ticket-spike sale status ID`. */
export async function runSaleCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'create') return create(rest);
  if (sub === 'status') return status(rest);
  process.stdout.write(MAIN_HELP);
  return sub === '--help' || sub === '-h' ? 0 : 2;
}

async function create(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      id: { type: 'string' },
      total: { type: 'string' },
      'per-user-limit': { type: 'string' },
      'hold-seconds': { type: 'string' },
      anonymous: { type: 'boolean' },
      'opens-at': { type: 'string' },
      'closes-at': { type: 'string' },
      redis: { type: 'string' },
    },
  });
  const num = (flag: string, raw: string | undefined) => {
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) throw new ConfigError(flag, `expected a whole number, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const checked = checkSaleFields({
    id: values.id,
    total: num('--total', values.total),
    perUserLimit: num('--per-user-limit', values['per-user-limit']),
    holdSeconds: num('--hold-seconds', values['hold-seconds']),
    anonymous: values.anonymous ?? false,
    opensAt: values['opens-at'],
    closesAt: values['closes-at'],
  });
  if (isRejection(checked)) {
    const field = checked.msg.split(':')[0] ?? '';
    const flag = `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new ConfigError(flag, checked.msg.slice(field.length + 2));
  }
  const result = await withEngine(resolveRedisUrl(values), (engine) =>
    engine.createSale({
      id: checked.id,
      total: checked.total,
      perUserLimit: checked.perUserLimit,
      holdSeconds: checked.holdSeconds,
      anonymous: checked.anonymous,
      ...(checked.opensAt !== null ? { opensAt: checked.opensAt } : {}),
      ...(checked.closesAt !== null ? { closesAt: checked.closesAt } : {}),
    }),
  );
  if (result === 'exists') {
    process.stderr.write(`sale ${checked.id} already exists (unchanged); see: ticket-spike sale status ${checked.id}\n`);
    return 1;
  }
  process.stdout.write(`created sale ${checked.id}: ${checked.total} tickets, ${checked.perUserLimit} per user\n`);
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { redis: { type: 'string' }, sale: { type: 'string' } },
  });
  // `sale status G1234` or, like `audit --sale G1234`, `sale status --sale G1234`.
  const id = values.sale ?? positionals[0];
  if (id === undefined) throw new ConfigError('sale status', 'give the sale id: ticket-spike sale status ID');
  const result = await withEngine(resolveRedisUrl(values), (engine) => engine.status(id));
  if (result === null) {
    process.stderr.write(`no sale ${id}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}
