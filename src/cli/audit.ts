import { ConfigError } from '../config/errors.js';
import { parseCommand, type CommandSpec } from '../config/options.js';
import { SALE_ID, checkText } from '../rules/input-rules.js';
import type { DatabaseCheck } from '../sale/audit-store.js';
import type { AuditProgress, AuditReport } from '../sale/types.js';
import { auditDatabase, type DatabaseOutcome } from './audit-database.js';
import type { Command } from './command.js';
import { DATABASE_OPTION, discoveredDatabaseUrl } from './database-url.js';
import { discoveredRedisUrl, REDIS_OPTION } from './redis-url.js';
import { shownUrl, withEngine } from './redis-client.js';

/** Exit codes: 0 the accounting closes, 1 a real discrepancy, 2 bad flags, 3 the audit could not be done. */
export const AUDIT_EXIT = { ok: 0, discrepancy: 1, badFlags: 2, couldNotAudit: 3 } as const;
/** Each page script is short (a few ms), so a normal per-call timeout holds; the audit as a whole has none. */
const AUDIT_COMMAND_TIMEOUT_MS = 5000;

export const AUDIT_COMMAND = {
  name: 'ticket-spike audit',
  usage: '--sale S [--json] [--redis URL] [--database URL]',
  summary: "proves a sale's accounting from its orders, in short pages (safe during a live sale); exit 1 when it does not close",
  options: {
    sale: { type: 'text', value: 'S', check: (v: string) => checkText(SALE_ID, v), help: 'the sale to audit' },
    json: { type: 'flag', help: 'print the report as JSON on stdout (nothing else there); progress still goes to stderr' },
    'page-size': { type: 'int', value: 'N', min: 1, max: 10_000, default: 500, help: 'orders looked at per Redis script call (each a few ms)' },
    progress: { type: 'int', value: 'MS', min: 0, max: 3_600_000, default: 1000, help: 'a progress line on stderr at most every MS ms (0: none)' },
    redis: REDIS_OPTION,
    database: { ...DATABASE_OPTION, help: 'also compare with the order store, PostgreSQL (default: the PostgreSQL of a running `ticket-spike up`, else none)' },
  },
  footer: `Closes when remaining (from the sale's counters) + held + paid (counted from the order records) == total,
and every check of the orders, holders, stream, deadlines and idempotency records passes. Purchases going on
during the audit never count as a problem: the counts are then compared within the bounds the changes allow
(the report says "moving"); audit a quiet sale for an exact count.
With a database, once the order worker has caught up (nothing pending or unread on the sale's stream):
every order in PostgreSQL has its Redis status (when still in Redis), and, when the sale is quiet, PostgreSQL's
counts by status == the audit's counted figures and its rows == orders in Redis + retired. Worker behind:
a note, not a failure.
Exit: 0 ok, 1 a discrepancy, 2 bad flags, 3 could not audit (Redis or the given PostgreSQL unreachable, unknown sale).`,
} as const satisfies CommandSpec;

/** `ticket-spike audit`, for the dispatch (src/cli/commands.ts). */
export const AUDIT_COMMANDS: readonly Command[] = [{ spec: AUDIT_COMMAND, run: runAuditCommand }];

function progressPrinter(sale: string, everyMs: number): ((p: AuditProgress) => void) | undefined {
  if (everyMs === 0) return undefined;
  const what: Record<AuditProgress['pass'], string> = {
    stream: 'orders',
    orders: 'order records checked against the stream',
    holders: "buyers' holder counts",
    idempotency: 'idempotency records',
    deadlines: 'hold deadlines',
  };
  let next = Date.now() + everyMs;
  return (p) => {
    if (Date.now() < next) return;
    next = Date.now() + everyMs;
    process.stderr.write(`audit of sale ${sale}: ${p.pass === 'stream' ? 'audited' : 'checked'} ${p.done}/${p.of} ${what[p.pass]}\n`);
  };
}

function databaseLines(d: DatabaseCheck, lines: string[]): void {
  if (d.compared) {
    const verdict = d.problems.length === 0 ? 'agrees' : `${d.problems.length} problem${d.problems.length === 1 ? '' : 's'}`;
    lines.push(`  PostgreSQL: ${verdict} (${d.rows} rows, ${d.mismatches} status mismatches)`);
  }
  for (const p of d.problems) lines.push(`  - PostgreSQL: ${p}`);
  for (const note of d.notes) lines.push(`  note: ${note}`);
}

function summary(r: AuditReport, database?: DatabaseCheck): string {
  const lines: string[] = [];
  const n = (k: number, one: string) => `${k} ${one}${k === 1 ? '' : 's'}`;
  if (r.ok) {
    lines.push(`audit of sale ${r.sale}: ok (remaining ${r.remaining} + held ${r.countedHeld} + paid ${r.countedPaid} = total ${r.total}, counted from the orders)`);
  } else if (!r.closes) {
    lines.push(
      `audit of sale ${r.sale}: accounting does NOT close (remaining ${r.remaining} + counted held ${r.countedHeld} + counted paid ${r.countedPaid} != total ${r.total}); ${n(r.problemCount, 'problem')}`,
    );
  } else {
    lines.push(`audit of sale ${r.sale}: ${n(r.problemCount, 'problem')} (the totals close: remaining ${r.remaining} + held ${r.countedHeld} + paid ${r.countedPaid} = total ${r.total})`);
  }
  lines.push(`  counters: held ${r.held}, paid ${r.paid}; orders: ${r.orders} (${r.cancelled} cancelled, ${r.expired} expired), ${r.streamEntries} stream entries, ${n(r.holders, 'holder')}; ${r.calls} Redis calls`);
  for (const p of r.problems) lines.push(`  - ${p}`);
  if (r.problems.length < r.problemCount) lines.push(`  ... and ${r.problemCount - r.problems.length} more (see --json)`);
  for (const note of r.notes) lines.push(`  note: ${note}`);
  if (database !== undefined) databaseLines(database, lines);
  return `${lines.join('\n')}\n`;
}

/**
 * `ticket-spike audit --sale S [--database URL]`: exit 0 ok, 1 a real discrepancy (in Redis, or between Redis and
 * PostgreSQL), 2 bad flags, 3 could not audit (Redis, or the PostgreSQL asked for, unreachable; unknown sale).
 */
export async function runAuditCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v } = parseCommand(AUDIT_COMMAND, argv, env);
  if (v.sale === undefined) throw new ConfigError('--sale', 'give the sale to audit: ticket-spike audit --sale S');
  const sale = v.sale;
  const url = v.redis ?? discoveredRedisUrl(env);
  const databaseUrl = discoveredDatabaseUrl(v.database, env);
  let report: AuditReport;
  let database: DatabaseOutcome | undefined;
  try {
    report = await withEngine(
      url,
      async (engine) => {
        // The counters before the audit: the cross-check compares totals only if nothing changed since.
        const before = databaseUrl === undefined ? null : await engine.status(sale);
        const audited = await engine.audit(sale, { pageSize: v['page-size'], onProgress: progressPrinter(sale, v.progress) });
        if (databaseUrl !== undefined) database = await auditDatabase(engine, databaseUrl, audited, before);
        return audited;
      },
      { commandTimeoutMs: AUDIT_COMMAND_TIMEOUT_MS, readyTimeoutMs: 3000 },
    );
  } catch (err) {
    const e = err as Error & { code?: string };
    const why =
      e.code === 'ERR_UNKNOWN_SALE'
        ? `no sale ${sale} in Redis at ${shownUrl(url)}; see ticket-spike sale status`
        : /not ready within/.test(e.message)
          ? `cannot reach Redis at ${shownUrl(url)} (${e.message}); start it, or pass --redis URL`
          : `could not finish the audit of sale ${sale} (Redis at ${shownUrl(url)}): ${e.message.split('\n')[0]}`;
    process.stderr.write(`ticket-spike audit: ${why}\n`);
    return AUDIT_EXIT.couldNotAudit;
  }
  const check = database?.check;
  const ok = report.ok && (check === undefined || check.problems.length === 0);
  process.stdout.write(v.json ? `${JSON.stringify(check === undefined ? report : { ...report, ok, database: check })}\n` : summary(report, check));
  if (!ok) return AUDIT_EXIT.discrepancy;
  if (database?.unreachable === true) {
    process.stderr.write(`ticket-spike audit: ${database.check.notes.at(-1) ?? 'PostgreSQL could not be compared'}\n`);
    return AUDIT_EXIT.couldNotAudit;
  }
  return AUDIT_EXIT.ok;
}
