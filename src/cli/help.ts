import type { Command } from './command.js';
import { COMMAND_SECTIONS } from './commands.js';

/** One command in a list: its name and usage, then its summary, all from its definition. */
function listing(command: Command): string {
  return `  ${command.spec.name} ${command.spec.usage}\n      ${command.spec.summary}`;
}

/** Words joined by ", " in lines of at most `width` characters, each line after the first indented. */
function wrap(words: string[], width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const next = line === '' ? word : `${line}, ${word}`;
    if (next.length > width && line !== '') {
      lines.push(`${line},`);
      line = word;
    } else line = next;
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

/**
 * `ticket-spike --help`: every command the dispatch knows (src/cli/commands.ts), by section, and every
 * environment variable their options read, all from the definitions that parse them.
 */
export async function mainHelp(): Promise<string> {
  const sections = await Promise.all(
    COMMAND_SECTIONS.map(async (s) => ({ title: s.title, commands: (await Promise.all(s.words.map((w) => w.load()))).flat() })),
  );
  const options = sections.flatMap((s) => s.commands.flatMap((c) => Object.values(c.spec.options)));
  const variables = [...new Set(options.flatMap((o) => ('env' in o && o.env !== undefined ? [o.env] : [])))].sort();
  return `ticket-spike — flash-sale ticket backend (uWebSockets.js threads, shared-memory stock, Redis authority)

Usage: ticket-spike <command> [options]      ticket-spike <command> --help: every option of one command

${sections.map((s) => `${s.title}:\n${s.commands.map(listing).join('\n')}\n`).join('\n')}
Environment (each stands in for the flag its command's --help names):
  ${wrap(variables, 100, '  ')}
Secrets (tokens, signing keys, passwords) only from the environment or a --<name>-file, never as flags.
`;
}

/** `ticket-spike <word> --help` for a word with subcommands (`sale`, `nodes`, ...): each of them. */
export function groupHelp(word: string, commands: readonly Command[]): string {
  return `ticket-spike ${word} <command>:\n${commands.map(listing).join('\n')}\n\nticket-spike ${word} <command> --help: every option of one command\n`;
}
