#!/usr/bin/env node
import { ConfigError } from '../config/errors.js';
import { asksForHelp, helpText } from '../config/options.js';
import { findCommand } from './commands.js';

/** Where main's own words go: the help, and why a command line was refused. */
export interface Output {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * `ticket-spike <command>`: dispatch only. Every command is in src/cli/commands.ts, which imports a command's
 * module when its word is used (`ticket-spike node` loads neither the launcher nor the other commands). The help
 * at every level comes from the commands' definitions and is answered here, before a command runs: `ticket-spike
 * --help` (every command), `ticket-spike sale --help` (the sale commands), `ticket-spike sale create --help`.
 * Returns the exit code: 0 for a help asked for, 2 for a command line refused (an unknown command, a bad flag)
 * with a message that names what was wrong.
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, io: Output = process): Promise<number> {
  const [word] = argv;
  try {
    if (word === undefined || word === '--help' || word === '-h' || word === 'help') {
      io.stdout.write(await (await import('./help.js')).mainHelp());
      return word === undefined ? 2 : 0;
    }
    const found = await findCommand(argv);
    if (found.kind === 'unknown') {
      io.stderr.write(`ticket-spike: unknown command ${JSON.stringify(word)}; see ticket-spike --help\n`);
      return 2;
    }
    if (found.kind === 'group') {
      const sub = argv[1];
      if (sub === undefined || asksForHelp([sub])) {
        io.stdout.write((await import('./help.js')).groupHelp(found.word, found.commands));
        return sub === undefined ? 2 : 0;
      }
      io.stderr.write(`ticket-spike ${word}: unknown command ${JSON.stringify(sub)}; see ticket-spike ${word} --help\n`);
      return 2;
    }
    if (asksForHelp(found.rest)) {
      io.stdout.write(helpText(found.command.spec));
      return 0;
    }
    return await found.command.run(found.rest, env);
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.stderr.write(`ticket-spike ${word}: ${(err as Error).message}\n`);
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
