#!/usr/bin/env node
import { ConfigError } from '../config/errors.js';

/**
 * `ticket-spike <command>`: dispatch only; each command lives in its own module, imported when asked for so
 * `ticket-spike --help` loads neither uWS nor a Redis client. Returns the exit code; bad flags exit 2 with a
 * message that names the flag.
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write((await import('./help.js')).MAIN_HELP);
        return command === undefined ? 2 : 0;
      case 'node':
        return await (await import('./node.js')).runNodeCommand(rest, env);
      case 'sale':
        return await (await import('./sale.js')).runSaleCommand(rest, env);
      case 'audit':
        return await (await import('./audit.js')).runAuditCommand(rest, env);
      case 'orders-worker':
        return await (await import('./orders.js')).runOrdersWorkerCommand(rest, env);
      case 'orders':
        return await (await import('./orders.js')).runOrdersCommand(rest, env);
      case 'tickets':
        return (await import('./tickets.js')).runTicketsCommand(rest, env);
      case 'nodes':
        return await (await import('./nodes.js')).runNodesCommand(rest, env);
      case 'nginx-conf':
        return await (await import('./nginx-conf.js')).runNginxConfCommand(rest, env);
      case 'up':
        return await (await import('./up.js')).runUp(rest, env);
      default:
        process.stderr.write(`ticket-spike: unknown command ${JSON.stringify(command)}; see ticket-spike --help\n`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      process.stderr.write(`ticket-spike ${command}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

// Run when executed directly (node dist/src/cli/main.js, tsx src/cli/main.ts, or the bin shim).
const invokedAs = process.argv[1] ?? '';
if (/[\\/]cli[\\/]main\.(?:ts|js)$/.test(invokedAs) || /ticket-spike(?:\.js)?$/.test(invokedAs)) {
  main(process.argv.slice(2)).then(
    (code) => {
      // The node command keeps running (its own signal handlers exit); others end here.
      if (code !== -1) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`ticket-spike: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
