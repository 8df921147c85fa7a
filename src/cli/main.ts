#!/usr/bin/env node
import { ConfigError } from '../config/errors.js';
import { MAIN_HELP } from './help.js';

/**
 * `ticket-spike <command>`: dispatch only; each command lives in its own module, imported on demand so
 * `ticket-spike --help` does not load uWS or ioredis. Returns the exit code; bad flags exit 2 with a message
 * that names the flag.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(MAIN_HELP);
        return command === undefined ? 2 : 0;
      case 'node':
        return await (await import('./node.js')).runNodeCommand(rest);
      case 'sale':
        return await (await import('./sale.js')).runSaleCommand(rest);
      case 'audit':
        return await (await import('./audit.js')).runAuditCommand(rest);
      case 'up':
        // Written by the `up` engineer; loaded only when asked for.
        return await (await import('./up.js' as string)).runUp(rest);
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
