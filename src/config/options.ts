import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseIntText, type Checked } from '../rules/input-rules.js';
import { ConfigError } from './errors.js';

/**
 * One definition per command gives its parsing (node:util parseArgs), the range or shape of every value, the
 * environment variable that may stand in for a flag, the default, and the --help text. A bad value is a
 * ConfigError that names the flag (and its variable) and says what to send instead.
 */
interface Common {
  help: string;
  /** The environment variable used when the flag is absent. */
  env?: string;
  /** Placeholder in the help text, e.g. "P" in "--port P". */
  value?: string;
}

export interface IntOption extends Common {
  type: 'int';
  min: number;
  max: number;
  default?: number;
}

export interface TextOption extends Common {
  type: 'text';
  /** Text like a flag's; with a `check`, it is checked (and turned into the check's value) like one. */
  default?: string;
  /** The value's rule; `problem` says what to send instead. Its value is the option's (a list, say). */
  check?: (value: string) => Checked<unknown>;
  /**
   * A URL that may carry a password (Redis, PostgreSQL): as a flag only without one, since `ps` shows every
   * process's arguments; with a password, from its environment variable.
   */
  url?: 'may-carry-password';
}

/** A comma-separated list of whole numbers, each in [min, max]. */
export interface IntListOption extends Common {
  type: 'int-list';
  min: number;
  max: number;
}

export interface FlagOption {
  type: 'flag';
  help: string;
  short?: string;
}

/**
 * A secret (a token, a signing key): from its environment variable, or from a file named by `--<name>-file` —
 * never the secret itself on the command line, where `ps` shows it to every user of the machine.
 */
export interface SecretOption {
  type: 'secret';
  help: string;
  /** The variable that holds the secret itself. */
  env: string;
  /** Shorter is refused at start (a guessable token is no lock). */
  minLength: number;
}

export type OptionSpec = IntOption | TextOption | IntListOption | FlagOption | SecretOption;
export type OptionSpecs = Record<string, OptionSpec>;

export interface CommandSpec<S extends OptionSpecs = OptionSpecs> {
  /** "ticket-spike node" */
  name: string;
  /** What follows the name in the usage line, e.g. "--port P [options]". */
  usage: string;
  summary: string;
  options: S;
  /** Positional arguments, named in the usage line; none when absent. */
  positionals?: boolean;
  /** Lines after the option list (signals, environment, examples). */
  footer?: string;
}

/** The parsed value of one option: defaulted options are always there, the others may be missing. */
type ValueOf<O extends OptionSpec> = O extends FlagOption
  ? boolean
  : O extends SecretOption
    ? string | undefined
  : O extends IntListOption
    ? number[] | undefined
    : O extends IntOption
      ? O extends { default: number }
        ? number
        : number | undefined
      : O extends { check: (value: string) => Checked<infer T> }
        ? O extends { default: string }
          ? T
          : T | undefined
        : O extends { default: string }
          ? string
          : string | undefined;

export type OptionValues<S extends OptionSpecs> = { [K in keyof S]: ValueOf<S[K]> };

export interface ParsedCommand<S extends OptionSpecs> {
  values: OptionValues<S>;
  positionals: string[];
  /** Which options were given (by flag or by environment), so cross-checks can name what the user wrote. */
  given: Set<keyof S>;
  help: boolean;
}

/** The name a message uses for an option: "--port (or PORT)". */
export function optionLabel(name: string, spec: OptionSpec): string {
  if (spec.type === 'secret') return `${spec.env} (or --${name}-file)`;
  return spec.type !== 'flag' && spec.env !== undefined ? `--${name} (or ${spec.env})` : `--${name}`;
}

/**
 * Parses argv (and, for options that name one, the environment) by the spec. Unknown flags are refused by
 * parseArgs (code ERR_PARSE_ARGS_UNKNOWN_OPTION); every value is checked and a bad one throws ConfigError.
 */
export function parseCommand<S extends OptionSpecs>(spec: CommandSpec<S>, argv: string[], env: NodeJS.ProcessEnv): ParsedCommand<S> {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.type === 'secret') {
      refuseSecretInArgv(name, o, argv);
      options[`${name}-file`] = { type: 'string' };
      continue;
    }
    options[name] = o.type === 'flag' ? { type: 'boolean', ...(o.short !== undefined ? { short: o.short } : {}) } : { type: 'string' };
  }
  const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: spec.positionals === true });
  const raw = parsed.values as Record<string, string | boolean | undefined>;
  const values: Record<string, unknown> = {};
  const given = new Set<keyof S>();
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.type === 'secret') {
      const secret = readSecret(name, o, raw[`${name}-file`] as string | undefined, env);
      values[name] = secret;
      if (secret !== undefined) given.add(name);
      continue;
    }
    if (o.type === 'flag') {
      values[name] = raw[name] === true;
      if (raw[name] === true) given.add(name);
      continue;
    }
    const fromFlag = raw[name] as string | undefined;
    const fromEnv = o.env === undefined ? undefined : env[o.env];
    const text = fromFlag ?? (fromEnv === '' ? undefined : fromEnv);
    if (text === undefined) {
      // A checked text option's default is text too, and becomes its value the same way a flag's would.
      values[name] = o.type === 'text' && o.check !== undefined && o.default !== undefined ? checkValue(optionLabel(name, o), o, o.default) : 'default' in o ? o.default : undefined;
      continue;
    }
    if (fromFlag !== undefined && o.type === 'text' && o.url === 'may-carry-password' && carriesPassword(fromFlag)) {
      throw new ConfigError(`--${name}`, `this URL carries a password, and ps shows every process's arguments: set ${o.env ?? 'it in the environment'} instead`);
    }
    given.add(name);
    values[name] = checkValue(optionLabel(name, o), o, text);
  }
  return { values: values as OptionValues<S>, positionals: parsed.positionals, given, help: raw['help'] === true };
}

/**
 * Whether argv asks for the help (--help or -h, before any `--`). Asked before anything is parsed, so neither an
 * unknown flag beside it nor a bad variable in the environment (PORT=abc) keeps the help from being printed.
 */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** A password in the URL's userinfo (redis://:pw@h, postgres://u:pw@h) or as a `password` parameter (libpq's form). */
function carriesPassword(text: string): boolean {
  try {
    const url = new URL(text);
    return url.password !== '' || url.searchParams.has('password');
  } catch {
    return false; // not a URL: its check says so
  }
}

/** `--admin-token T` (the secret itself as a flag) is refused with what to do instead, not as an unknown flag. */
function refuseSecretInArgv(name: string, o: SecretOption, argv: readonly string[]): void {
  if (argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`))) {
    throw new ConfigError(
      `--${name}`,
      `a secret is not taken on the command line (ps shows every process's arguments): set ${o.env}, or put it in a file and pass --${name}-file PATH`,
    );
  }
}

/** The secret from --<name>-file (trailing newline dropped) or else its variable; undefined when neither is set. */
function readSecret(name: string, o: SecretOption, file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  let value: string | undefined;
  if (file !== undefined && file !== '') {
    try {
      value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(`--${name}-file`, `cannot read ${file}: ${(err as Error).message}`);
    }
  } else {
    const fromEnv = env[o.env];
    value = fromEnv === '' ? undefined : fromEnv;
  }
  if (value === undefined) return undefined;
  if (value.length < o.minLength) {
    throw new ConfigError(optionLabel(name, o), `use at least ${o.minLength} characters (got ${value.length}): e.g. openssl rand -base64 24`);
  }
  return value;
}

function checkValue(label: string, o: Exclude<OptionSpec, FlagOption | SecretOption>, text: string): unknown {
  switch (o.type) {
    case 'int': {
      const n = parseIntText(o, text);
      if (!n.ok) throw new ConfigError(label, n.problem);
      return n.value;
    }
    case 'int-list':
      return text.split(',').map((item, i) => {
        const n = parseIntText(o, item);
        if (!n.ok) throw new ConfigError(`${label} (item ${i + 1})`, n.problem);
        return n.value;
      });
    case 'text': {
      if (o.check === undefined) return text;
      const checked = o.check(text);
      if (!checked.ok) throw new ConfigError(label, checked.problem);
      return checked.value;
    }
  }
}

/** The command's --help text, made from the same definition that parses it. */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    if (o.type === 'secret') {
      return { flag: `--${name}-file PATH`, text: `${o.help} (or env ${o.env} holds it; ${o.minLength}+ characters; never the secret itself as a flag: ps shows arguments)` };
    }
    const flag = o.type === 'flag' ? `--${name}${o.short !== undefined ? `, -${o.short}` : ''}` : `--${name} ${o.value ?? 'N'}`;
    const notes: string[] = [];
    if (o.type !== 'flag' && o.env !== undefined) notes.push(`env ${o.env}`);
    if ((o.type === 'int' || o.type === 'int-list') && (o.min !== 0 || o.max !== Number.MAX_SAFE_INTEGER)) notes.push(`${o.min}..${o.max}`);
    if (o.type !== 'flag' && o.type !== 'int-list' && o.default !== undefined && o.default !== '') notes.push(`default ${o.default}`);
    return { flag, text: notes.length > 0 ? `${o.help} (${notes.join('; ')})` : o.help };
  });
  rows.push({ flag: '--help, -h', text: 'this text' });
  const width = Math.max(...rows.map((r) => r.flag.length)) + 2;
  const lines = rows.map((r) => `  ${r.flag.padEnd(width)}${r.text}`);
  const footer = spec.footer === undefined ? '' : `\n${spec.footer.trimEnd()}\n`;
  return `${spec.name} — ${spec.summary}\n\nUsage: ${spec.name} ${spec.usage}\n\n${lines.join('\n')}\n${footer}`;
}
