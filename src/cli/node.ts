import { parseArgs } from 'node:util';
import { buildNodeConfig, type NodeConfig } from '../config/node-config.js';
import { NODE_HELP } from './help.js';
import { resolveRedisUrl } from './redis-url.js';

const NODE_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  threads: { type: 'string' },
  redis: { type: 'string' },
  id: { type: 'string' },
  weight: { type: 'string' },
  'total-weight': { type: 'string' },
  'default-sale': { type: 'string' },
  'stat-log': { type: 'string' },
  'batch-size': { type: 'string' },
  'batch-window-ms': { type: 'string' },
  'batch-in-flight': { type: 'string' },
  'deadline-ms': { type: 'string' },
  'quota-buffer': { type: 'string' },
  'max-sales': { type: 'string' },
  'reconcile-ms': { type: 'string' },
  'sweep-ms': { type: 'string' },
  'refresh-ms': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'log-level': { type: 'string' },
  'admin-token': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Flags -> NodeConfig (or 'help'); throws ConfigError / parseArgs' TypeError naming the bad flag. */
export function parseNodeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): NodeConfig | 'help' {
  const { values } = parseArgs({ args: argv, options: NODE_FLAGS, strict: true, allowPositionals: false });
  if (values.help === true) return 'help';
  return buildNodeConfig(
    {
      port: values.port ?? env['PORT'],
      host: values.host,
      threads: values.threads,
      id: values.id,
      weight: values.weight,
      totalWeight: values['total-weight'],
      defaultSale: values['default-sale'] ?? env['DEFAULT_SALE'],
      statLog: values['stat-log'],
      batchSize: values['batch-size'],
      batchWindowMs: values['batch-window-ms'],
      batchInFlight: values['batch-in-flight'],
      deadlineMs: values['deadline-ms'],
      quotaBuffer: values['quota-buffer'],
      maxSales: values['max-sales'],
      reconcileMs: values['reconcile-ms'],
      sweepMs: values['sweep-ms'],
      refreshMs: values['refresh-ms'],
      maxBodyBytes: values['max-body-bytes'],
      logLevel: values['log-level'] ?? env['LOG_LEVEL'],
      adminToken: values['admin-token'] ?? env['ADMIN_TOKEN'],
    },
    resolveRedisUrl(values, env),
  );
}

export async function runNodeCommand(argv: string[]): Promise<number> {
  const config = parseNodeArgs(argv);
  if (config === 'help') {
    process.stdout.write(NODE_HELP);
    return 0;
  }
  const { runNode } = await import('../node/main.js');
  return runNode(config);
}
