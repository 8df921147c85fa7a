import { ConfigError } from '../config/errors.js';
import { parseCommand, type CommandSpec } from '../config/options.js';
import { EngineError } from '../redis/codes.js';
import { SALE_ID, SALE_PAGE, STOCK_CHANGE, checkInt, checkStockChange, checkText } from '../rules/input-rules.js';
import { ADMIT_PER_SECOND } from '../rules/queue-config.js';
import type { SaleEngine } from '../sale/engine.js';
import type { SaleStatus } from '../sale/types.js';
import type { Command } from './command.js';
import { discoveredRedisUrl, REDIS_OPTION } from './redis-url.js';
import { shownUrl, withEngine } from './redis-client.js';

/**
 * `ticket-spike sale list | pause | resume | close | add-stock | queue`: the operations of src/sale/operations.ts, on
 * Redis directly (like `sale create`); running nodes take each change into shared memory within --reconcile-ms.
 * Exit: 0 done (also "already so"), 1 refused (the message says why), 2 bad usage, 3 Redis not reachable.
 */
const EXIT_CODES = 'Exit: 0 done (also when nothing had to change), 1 refused (unknown sale, closed sale, stock floor), 2 bad usage, 3 Redis not reachable.';
const SALE_OPTION = { type: 'text', value: 'ID', check: (v: string) => checkText(SALE_ID, v), help: 'the sale (or give it as the positional ID)' } as const;
const JSON_OPTION = { type: 'flag', help: 'print the result as one JSON object on stdout' } as const;

export const SALE_LIST_COMMAND = {
  name: 'ticket-spike sale list',
  usage: '[--json] [--redis URL]',
  summary: 'every sale with its state (scheduled, open, paused, closed) and counters',
  options: { json: JSON_OPTION, redis: REDIS_OPTION },
  footer: `Reads ${SALE_PAGE.max} sales per call, in id order. ${EXIT_CODES}`,
} as const satisfies CommandSpec;

function saleCommand<N extends string>(verb: N, summary: string, footer: string) {
  return {
    name: `ticket-spike sale ${verb}` as const,
    usage: 'ID [--json] [--redis URL]   (or --sale ID)',
    summary,
    positionals: true,
    options: { sale: SALE_OPTION, json: JSON_OPTION, redis: REDIS_OPTION },
    footer: `${footer}\n${EXIT_CODES}`,
  } as const satisfies CommandSpec;
}

export const SALE_PAUSE_COMMAND = saleCommand('pause', 'stops selling: every purchase is answered -3 (not open) until resumed', 'Holds already made are still paid or expire. A closed sale is refused (exit 1); a paused one is left so (exit 0).');
export const SALE_RESUME_COMMAND = saleCommand('resume', 'sells again after a pause', 'A closed sale is refused (exit 1); a running one is left so (exit 0).');
export const SALE_CLOSE_COMMAND = saleCommand(
  'close',
  'ends the sale now (closesAt = now by Redis\'s clock); its holds are still paid or expire',
  'Its registry place frees closesAt + the registry grace later, as for a sale that closed on schedule. Closing a closed sale changes nothing (exit 0).',
);
export const SALE_ADD_STOCK_COMMAND = {
  name: 'ticket-spike sale add-stock',
  usage: '--sale ID --add N [--json] [--redis URL]',
  summary: 'puts returned seats back on sale (total += N); N < 0 takes unsold seats off sale',
  options: {
    sale: { ...SALE_OPTION, help: 'the sale' },
    add: { type: 'int', min: STOCK_CHANGE.min, max: STOCK_CHANGE.max, help: 'seats to add, not 0; write a negative N as --add=-N' },
    json: JSON_OPTION,
    redis: REDIS_OPTION,
  },
  footer: `The total never goes below the seats held or paid (at least 1): refused (exit 1, STOCK_FLOOR), as is a closed sale
(SALE_CLOSED). Not idempotent: after an error, check \`sale list\` before running it again. ${EXIT_CODES}`,
} as const satisfies CommandSpec;

export const SALE_QUEUE_COMMAND = {
  name: 'ticket-spike sale queue',
  usage: 'ID (--on | --off) [--rate N|auto] [--json] [--redis URL]   (or --sale ID)',
  summary: "switches a sale's waiting room on or off and sets how many places it admits per second",
  positionals: true,
  options: {
    sale: SALE_OPTION,
    on: { type: 'flag', help: 'buyers must join and wait for a pass (a sale without a waiting room gets one that opens now)' },
    off: { type: 'flag', help: 'purchases without a pass are taken; waiters hear the queue is off' },
    rate: { type: 'text', value: 'N|auto', help: `places admitted per second (${ADMIT_PER_SECOND.min}..${ADMIT_PER_SECOND.max}), or auto: what the sale has left` },
    json: JSON_OPTION,
    redis: REDIS_OPTION,
  },
  footer: `Nodes follow within their --reconcile-ms. An anonymous sale cannot have one (a pass is a named buyer's). ${EXIT_CODES}`,
} as const satisfies CommandSpec;

/** `ticket-spike sale list|pause|resume|close|add-stock|queue`, for the dispatch (src/cli/commands.ts via sale.ts). */
export const SALE_OPS_COMMANDS: readonly Command[] = [SALE_LIST_COMMAND, SALE_PAUSE_COMMAND, SALE_RESUME_COMMAND, SALE_CLOSE_COMMAND, SALE_ADD_STOCK_COMMAND, SALE_QUEUE_COMMAND].map(
  (spec): Command => ({ spec, run: (argv, env) => runSaleOperation(spec, argv, env) }),
);

/** --on / --off / --rate as lua/queue-set-1.lua takes them (one of them at least, not both switches). */
function queueChange(v: Record<string, unknown>): { on?: boolean; admitPerSecond?: number | 'auto' } {
  if (v['on'] === true && v['off'] === true) throw new ConfigError('--on/--off', 'give one of them');
  const change: { on?: boolean; admitPerSecond?: number | 'auto' } = {};
  if (v['on'] === true || v['off'] === true) change.on = v['on'] === true;
  const rate = v['rate'] as string | undefined;
  if (rate !== undefined) {
    const checked = rate === 'auto' ? null : checkInt(ADMIT_PER_SECOND, /^\d+$/.test(rate) ? Number(rate) : NaN);
    if (checked !== null && !checked.ok) throw new ConfigError('--rate', `${checked.problem}, or auto`);
    change.admitPerSecond = rate === 'auto' ? 'auto' : Number(rate);
  }
  if (change.on === undefined && change.admitPerSecond === undefined) throw new ConfigError('sale queue', 'give --on, --off or --rate N|auto');
  return change;
}

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '-');

function line(s: SaleStatus): string {
  return [s.id.padEnd(16), s.state.padEnd(9), ...[s.total, s.held, s.paid, s.remaining].map((n) => String(n).padStart(9)), ` ${iso(s.opensAt)}  ${iso(s.closesAt)}`].join(' ');
}

/** Runs one operation: its answer printed, a refusal (EngineError of the sale) exit 1, Redis away exit 3. */
async function run(redisUrl: string, json: boolean, work: (engine: SaleEngine) => Promise<{ text: string; data: unknown }>): Promise<number> {
  try {
    const { text, data } = await withEngine(redisUrl, work);
    process.stdout.write(json ? `${JSON.stringify(data)}\n` : text);
    return 0;
  } catch (err) {
    if (err instanceof EngineError && err.code !== 'ERR_UNEXPECTED_REPLY') {
      const code = err.code.replace(/^ERR_/, '');
      if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: code, msg: err.message })}\n`);
      process.stderr.write(`${code}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`could not operate on Redis at ${shownUrl(redisUrl)}: ${(err as Error).message}\n`);
    return 3;
  }
}

/** `sale list|pause|resume|close|add-stock|queue`: the one `spec` names. */
async function runSaleOperation(spec: CommandSpec, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const sub = spec.name.slice('ticket-spike sale '.length);
  const { values: v, positionals } = parseCommand(spec, argv, env);
  const redisUrl = (v['redis'] as string | undefined) ?? discoveredRedisUrl(env);
  const json = v['json'] === true;
  if (sub === 'list') {
    return run(redisUrl, json, async (engine) => {
      const sales: SaleStatus[] = [];
      for (let after = ''; ; ) {
        const page = await engine.statusPage(after, SALE_PAGE.max);
        sales.push(...page.sales);
        if (page.next === null) break;
        after = page.next;
      }
      const head = `${'id'.padEnd(16)} ${'state'.padEnd(9)} ${['total', 'held', 'paid', 'remaining'].map((h) => h.padStart(9)).join(' ')}  opensAt / closesAt\n`;
      return { text: sales.length === 0 ? 'no sales\n' : head + sales.map((s) => `${line(s)}\n`).join(''), data: { sales } };
    });
  }
  const id = (v['sale'] as string | undefined) ?? positionals[0];
  if (id === undefined) throw new ConfigError(`sale ${sub}`, `give the sale: ticket-spike sale ${sub} --sale ID`);
  const sale = checkText(SALE_ID, id);
  if (!sale.ok) throw new ConfigError(`sale ${sub} ID`, sale.problem);
  const saleId = sale.value;
  const after = async (engine: SaleEngine, text: string, extra: Record<string, unknown>) => {
    const status = await engine.status(saleId);
    return { text, data: { ok: true, ...extra, sale: status } };
  };
  switch (sub) {
    case 'pause':
    case 'resume':
      return run(redisUrl, json, async (engine) => {
        const { changed } = await engine.setPaused(saleId, sub === 'pause');
        const state = sub === 'pause' ? 'paused' : 'running';
        return after(engine, changed ? `sale ${saleId}: ${sub === 'pause' ? 'paused' : 'resumed'}\n` : `sale ${saleId}: already ${state}, unchanged\n`, { changed });
      });
    case 'close':
      return run(redisUrl, json, async (engine) => {
        const { changed, closesAt } = await engine.close(saleId);
        return after(engine, changed ? `sale ${saleId}: closed at ${iso(closesAt)}\n` : `sale ${saleId}: already closed (at ${iso(closesAt)}), unchanged\n`, { changed, closesAt });
      });
    case 'queue': {
      const change = queueChange(v);
      return run(redisUrl, json, async (engine) => {
        const { changed, queue } = await engine.setQueue(saleId, change);
        const text = `sale ${saleId}: waiting room ${queue.on ? 'on' : 'off'}, ${queue.admitPerSecond} per second${changed ? '' : ' (unchanged)'}\n`;
        return after(engine, text, { changed, queue });
      });
    }
    default: {
      const add = v['add'] as number | undefined;
      if (add === undefined) throw new ConfigError('--add', 'required: the seats to add (a negative N as --add=-N)');
      const checked = checkStockChange(add);
      if (!checked.ok) throw new ConfigError('--add', checked.problem);
      return run(redisUrl, json, async (engine) => {
        const { total, remaining } = await engine.addStock(saleId, add);
        return after(engine, `sale ${saleId}: total ${total} (${add > 0 ? '+' : ''}${add}), remaining ${remaining}\n`, { changed: true, total, remaining });
      });
    }
  }
}
