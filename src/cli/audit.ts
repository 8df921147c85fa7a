import { ConfigError } from '../config/errors.js';
import { checkRedisUrl } from '../config/node-config.js';
import { helpText, parseCommand, type CommandSpec } from '../config/options.js';
import { SALE_ID, checkText } from '../rules/input-rules.js';
import { discoveredRedisUrl } from './redis-url.js';
import { withEngine } from './redis-client.js';

export const AUDIT_COMMAND = {
  name: 'ticket-spike audit',
  usage: '--sale S [--redis URL]',
  summary: "proves a sale's accounting from its orders; exit 1 when it does not close",
  options: {
    sale: { type: 'text', value: 'S', check: (v: string) => checkText(SALE_ID, v), help: 'the sale to audit' },
    redis: {
      type: 'text',
      env: 'REDIS_URL',
      value: 'URL',
      check: checkRedisUrl,
      help: 'Redis (default: the Redis of a running `ticket-spike up`, else redis://127.0.0.1:6379)',
    },
  },
  footer: `Closes when remaining (from the sale's counters) + held + paid (counted from the order records) == total,
and every check of the orders, holders, stream, deadlines and idempotency records passes.`,
} as const satisfies CommandSpec;

/** `ticket-spike audit --sale S`: prints the report; exit 1 when the accounting does not close or anything is off. */
export async function runAuditCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v, help } = parseCommand(AUDIT_COMMAND, argv, env);
  if (help) {
    process.stdout.write(helpText(AUDIT_COMMAND));
    return 0;
  }
  if (v.sale === undefined) throw new ConfigError('--sale', 'give the sale to audit: ticket-spike audit --sale S');
  const sale = v.sale;
  const report = await withEngine(v.redis ?? discoveredRedisUrl(env), (engine) => engine.audit(sale));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (!report.ok) {
    const why = report.closes ? '' : ` (remaining ${report.remaining} + counted held ${report.countedHeld} + counted paid ${report.countedPaid} != total ${report.total})`;
    process.stderr.write(`audit of sale ${sale}: accounting does NOT close${why}; ${report.problemCount} problems\n`);
    return 1;
  }
  process.stdout.write(
    `audit of sale ${sale}: ok (remaining ${report.remaining} + held ${report.countedHeld} + paid ${report.countedPaid} = total ${report.total}, counted from the orders)\n`,
  );
  return 0;
}
