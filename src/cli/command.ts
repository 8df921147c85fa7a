import type { CommandSpec } from '../config/options.js';

/**
 * One `ticket-spike` command: its definition (src/config/options.ts: parsing, ranges, environment, --help) and
 * what it does. `run` gets the arguments after the command's name and never sees --help: main answers that
 * from the definition before anything runs.
 */
export interface Command {
  readonly spec: CommandSpec;
  run(argv: string[], env: NodeJS.ProcessEnv): number | Promise<number>;
}

/** The words after `ticket-spike` that name the command: ['sale', 'create'] for "ticket-spike sale create". */
export function commandPath(spec: CommandSpec): string[] {
  return spec.name.split(' ').slice(1);
}
