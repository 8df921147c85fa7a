import { commandPath, type Command } from './command.js';

/**
 * Every `ticket-spike` command, by the word that starts it, in the sections and order `ticket-spike --help` lists
 * them. The one list both the dispatch (main.ts) and the help (help.ts) read: a command is run only if it is
 * here, and whatever is here is listed. A word's module is imported only when that word is used, so `ticket-spike
 * node` does not load the launcher; its subcommands (and their names) come from the module's own definitions.
 */
export interface CommandWord {
  readonly word: string;
  load(): Promise<readonly Command[]>;
}

export interface CommandSection {
  readonly title: string;
  readonly words: readonly CommandWord[];
}

export const COMMAND_SECTIONS: readonly CommandSection[] = [
  {
    title: 'Run the service',
    words: [
      { word: 'up', load: async () => (await import('./up.js')).UP_COMMANDS },
      { word: 'node', load: async () => (await import('./node.js')).NODE_COMMANDS },
      { word: 'orders-worker', load: async () => (await import('./orders.js')).ORDERS_WORKER_COMMANDS },
    ],
  },
  {
    title: 'Sales',
    words: [{ word: 'sale', load: async () => (await import('./sale.js')).SALE_COMMANDS }],
  },
  {
    title: 'Orders and accounting',
    words: [
      { word: 'orders', load: async () => (await import('./orders.js')).ORDERS_COMMANDS },
      { word: 'audit', load: async () => (await import('./audit.js')).AUDIT_COMMANDS },
    ],
  },
  {
    title: 'Nodes on several hosts',
    words: [
      { word: 'nodes', load: async () => (await import('./nodes.js')).NODES_COMMANDS },
      { word: 'nginx-conf', load: async () => (await import('./nginx-conf.js')).NGINX_CONF_COMMANDS },
    ],
  },
  {
    title: 'E-tickets',
    words: [{ word: 'tickets', load: async () => (await import('./tickets.js')).TICKETS_COMMANDS }],
  },
];

export type Found =
  /** A command, with the arguments after its name. */
  | { kind: 'command'; command: Command; rest: string[] }
  /** A known first word, but no subcommand of it (none given, --help, or an unknown one). */
  | { kind: 'group'; word: string; commands: readonly Command[] }
  | { kind: 'unknown' };

/** The command argv names: the longest of its first word's commands whose name starts argv. */
export async function findCommand(argv: readonly string[]): Promise<Found> {
  const entry = COMMAND_SECTIONS.flatMap((s) => s.words).find((w) => w.word === argv[0]);
  if (entry === undefined) return { kind: 'unknown' };
  const commands = await entry.load();
  let found: { command: Command; length: number } | undefined;
  for (const command of commands) {
    const path = commandPath(command.spec);
    if (path.every((word, i) => argv[i] === word) && path.length > (found?.length ?? 0)) found = { command, length: path.length };
  }
  if (found === undefined) return { kind: 'group', word: entry.word, commands };
  return { kind: 'command', command: found.command, rest: argv.slice(found.length) };
}
