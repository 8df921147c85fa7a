import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { resolveRedisUrl } from './redis-url.js';
import { withEngine } from './redis-client.js';

/** `ticket-spike audit --sale S`: prints the report; exit 1 when remaining + held + paid != total (or any problem). */
export async function runAuditCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { sale: { type: 'string' }, redis: { type: 'string' } } });
  if (values.sale === undefined) throw new ConfigError('--sale', 'give the sale to audit: ticket-spike audit --sale S');
  const sale = values.sale;
  const report = await withEngine(resolveRedisUrl(values), (engine) => engine.audit(sale));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const closes = report.remaining + report.held + report.paid === report.total;
  if (!report.ok || !closes) {
    process.stderr.write(`audit of sale ${sale}: accounting does NOT close (${report.problemCount} problems)\n`);
    return 1;
  }
  process.stdout.write(`audit of sale ${sale}: ok (remaining ${report.remaining} + held ${report.held} + paid ${report.paid} = total ${report.total})\n`);
  return 0;
}
