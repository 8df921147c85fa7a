// The command line's surface, in process (main with its output caught; nothing runs past the help): every
// command defined is one the dispatch runs and `ticket-spike --help` lists, each command's --help is its
// definition's, a word with subcommands lists them, and an unknown command exits 2 naming the help to read.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { commandPath, type Command } from '../../src/cli/command.js';
import { COMMAND_SECTIONS } from '../../src/cli/commands.js';
import { main } from '../../src/cli/main.js';
import { helpText, type CommandSpec } from '../../src/config/options.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } };
  const code = await main(argv, env, io);
  return { code, stdout, stderr };
}

/** What the dispatch knows: every word of the registry with its commands, in the order help lists them. */
async function registered(): Promise<{ word: string; commands: readonly Command[] }[]> {
  const words = COMMAND_SECTIONS.flatMap((s) => s.words);
  return Promise.all(words.map(async (w) => ({ word: w.word, commands: await w.load() })));
}

/** Every command definition the sources export (src/cli and src/config), found without the registry's help. */
async function defined(): Promise<CommandSpec[]> {
  const specs = new Map<string, CommandSpec>();
  for (const folder of ['cli', 'config']) {
    for (const file of readdirSync(join(SRC, folder)).filter((f) => f.endsWith('.ts'))) {
      const module = (await import(pathToFileURL(join(SRC, folder, file)).href)) as Record<string, unknown>;
      for (const value of Object.values(module)) {
        const spec = value as Partial<CommandSpec> | null;
        if (typeof spec?.name === 'string' && spec.name.startsWith('ticket-spike ') && typeof spec.usage === 'string' && typeof spec.options === 'object') {
          specs.set(spec.name, spec as CommandSpec);
        }
      }
    }
  }
  return [...specs.values()];
}

const listed = (text: string) => text.split('\n').filter((line) => line.startsWith('  ticket-spike '));
const line = (spec: CommandSpec) => `  ${spec.name} ${spec.usage}`;

t.test('every command defined is dispatched under its own first word, once', async (t) => {
  const words = await registered();
  const commands = words.flatMap((w) => w.commands);
  const names = commands.map((c) => c.spec.name);
  t.same([...new Set(names)], names, 'no command is registered twice');
  for (const { word, commands } of words) {
    for (const c of commands) t.equal(commandPath(c.spec)[0], word, `${c.spec.name} is under ${word}`);
  }
  t.same(names.slice().sort(), (await defined()).map((s) => s.name).sort(), 'the registry holds exactly the commands the sources define');
  t.ok(names.length >= 18, `${names.length} commands (the scan found them)`);
});

t.test('ticket-spike --help lists exactly the commands the dispatch knows, each from its definition', async (t) => {
  const help = await cli(['--help']);
  t.equal(help.code, 0);
  t.equal(help.stderr, '');
  const commands = (await registered()).flatMap((w) => w.commands);
  t.same(listed(help.stdout), commands.map((c) => line(c.spec)), 'one line per command, in the registry order, and nothing else');
  for (const c of commands) t.match(help.stdout, `${line(c.spec)}\n      ${c.spec.summary}\n`, `${c.spec.name}: its summary under it`);
  for (const section of COMMAND_SECTIONS) t.match(help.stdout, `\n${section.title}:\n`, `section ${section.title}`);
  const variables = commands.flatMap((c) => Object.values(c.spec.options).flatMap((o) => ('env' in o && o.env !== undefined ? [o.env] : [])));
  for (const variable of new Set(variables)) t.match(help.stdout, new RegExp(`\\b${variable}\\b`), `lists ${variable}`);
  t.same(await cli(['-h']), help, '-h');
  t.same(await cli(['help']), help, 'help');
  t.same(await cli([]), { ...help, code: 2 }, 'nothing: the same list, exit 2');
});

t.test("every command's --help exits 0 and prints its definition's help, whatever else is on the line", async (t) => {
  // Variables a command would refuse: the help is still printed (it once was not: PORT=abc node --help exit 2).
  const badEnv = { PORT: 'abc', ADMIN_TOKEN: 'short', REDIS_URL: 'not-a-url', DATABASE_URL: 'nope' };
  for (const { spec } of (await registered()).flatMap((w) => w.commands)) {
    const path = commandPath(spec);
    const help = await cli([...path, '--help']);
    t.same(help, { code: 0, stdout: helpText(spec), stderr: '' }, `${spec.name} --help`);
    t.match(help.stdout, `Usage: ${spec.name} ${spec.usage}\n`, '  its usage');
    for (const [name, o] of Object.entries(spec.options)) t.match(help.stdout, o.type === 'secret' ? `--${name}-file PATH` : `--${name}`, `  --${name}`);
    t.same(await cli([...path, '-h']), help, `${spec.name} -h`);
    t.same(await cli([...path, '--no-such-flag', '--help'], badEnv), help, `${spec.name} --no-such-flag --help, with bad variables`);
  }
});

t.test('a word with subcommands: --help lists them; none or an unknown one exits 2', async (t) => {
  const groups = (await registered()).filter((w) => w.commands.every((c) => commandPath(c.spec).length > 1));
  t.same(groups.map((g) => g.word), ['sale', 'orders', 'nodes', 'tickets']);
  for (const { word, commands } of groups) {
    const help = await cli([word, '--help']);
    t.equal(help.code, 0, `${word} --help`);
    t.same(listed(help.stdout), commands.map((c) => line(c.spec)), `  lists the ${word} commands`);
    t.match(help.stdout, `ticket-spike ${word} <command> --help`);
    t.same(await cli([word]), { ...help, code: 2 }, `${word} alone: the same list, exit 2`);
    t.same(await cli([word, 'bogus']), { code: 2, stdout: '', stderr: `ticket-spike ${word}: unknown command "bogus"; see ticket-spike ${word} --help\n` }, `${word} bogus`);
  }
});

t.test('an unknown command exits 2 and names the help', async (t) => {
  for (const word of ['bogus', 'sales', 'orders_worker', '--version']) {
    t.same(await cli([word, '--help']), { code: 2, stdout: '', stderr: `ticket-spike: unknown command ${JSON.stringify(word)}; see ticket-spike --help\n` }, word);
  }
});
