// The docs check: the commands the README tells a newcomer to type, run as typed against a fresh `up`. Every
// fenced block marked `<!-- docs-check: NAME -->` in README.md and docs/*.md is read, its commands run by bash in
// page order against one `up` started the way the up tests start it (its own var dir and free ports), with the
// page's fixed address (127.0.0.1:8080) rewritten to that up's; each must exit 0, curl must get a 2xx
// (--fail-with-body), and the answers the README promises are checked where it names them. A page that is opened
// rather than run (`# open http://...` in a block) is fetched and must answer 200.
//
// What is not run, and why:
// - The quick-start block (`npm ci && npm start`, `npm ci && npm test`) is checked for what it says, not run: `npm ci`
//   would reinstall the node_modules this checkout shares, and `npm test` is the suite this file is part of. `npm
//   start` is `tsc -b` then `ticket-spike up`, which is what this test starts (package.json's scripts are checked).
// - `ab -n N` runs with at most 1,000 requests: the check is that the command works as written through nginx on a
//   plain `up`; the article's full 10,000 (every one 2xx, exactly 10,000 sold) is up-weighted-ab.test.ts's.
// - `npx ticket-spike ...` runs this package's bin (bin/ticket-spike.js) without npx around it: npx itself is checked
//   once to find that bin here, and then costs ~3 s of npm start-up per command on a busy machine, a dozen times.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv } from '../helpers/env.js';
import { UpProcess } from '../helpers/up-process.js';

// 68-92 s measured on two cores beside another full test run (load average ~15): up's start and stop, a dozen CLI runs.
t.setTimeout(170_000);

const ROOT = new URL('../../', import.meta.url).pathname;
const DOC_PORT = 8080;
const AB_MAX_REQUESTS = 1000;

interface Block {
  page: string;
  name: string;
  /** Logical commands (continuation lines joined), comments kept as bash reads them. */
  commands: string[];
  /** URLs the block says to open in a browser (`# open URL`). */
  opens: string[];
}

/** The marked blocks of one page, in order. */
function markedBlocks(page: string, text: string): Block[] {
  const out: Block[] = [];
  for (const m of text.matchAll(/^<!-- docs-check: ([\w-]+) -->\n```(?:sh|bash)\n([\s\S]*?)^```$/gm)) {
    const commands: string[] = [];
    const opens: string[] = [];
    let pending = '';
    for (const line of m[2].split('\n')) {
      if (pending === '') {
        const trimmed = line.trim();
        if (trimmed === '') continue;
        if (trimmed.startsWith('#')) {
          const open = /^#\s*open\s+(https?:\/\/\S+)/.exec(trimmed);
          if (open !== null) opens.push(open[1]);
          continue;
        }
      }
      pending = pending === '' ? line : `${pending}\n${line}`;
      if (!/\\\s*$/.test(line)) {
        commands.push(pending);
        pending = '';
      }
    }
    if (pending !== '') commands.push(pending);
    out.push({ page, name: m[1], commands, opens });
  }
  return out;
}

/** A command as this test runs it: the page's port is this up's, ab is bounded. */
function localize(command: string, port: number): string {
  let c = command.replaceAll(`127.0.0.1:${DOC_PORT}`, `127.0.0.1:${port}`).replaceAll(`localhost:${DOC_PORT}`, `localhost:${port}`);
  if (/^\s*ab\s/.test(c)) c = c.replace(/-n\s+(\d+)/, (_, n: string) => `-n ${Math.min(Number(n), AB_MAX_REQUESTS)}`);
  return c;
}

/** What the README promises of a command's answer, where it names one (exit 0 is asked of every command). */
const EXPECTED: { command: RegExp; stdout: RegExp; why: string }[] = [
  { command: /^\s*curl\b.*\/buy\/ticket\?user=/, stdout: /"code":1\b/, why: 'a purchase: code 1' },
  { command: /\/orders\/.*\/pay/, stdout: /"code":1\b[\s\S]*"status":"paid"[\s\S]*"ticket"/, why: 'paid, with its e-ticket' },
  { command: /\/sales\/demo\b/, stdout: /"total":10000\b[\s\S]*"remaining":/, why: 'the demo sale: total, remaining' },
  { command: /^\s*ab\s/, stdout: /Complete requests:\s+\d+[\s\S]*Failed requests:\s+0\b/, why: 'ab: every request complete, none failed' },
  { command: /\/queue\/\w+\/status/, stdout: /"state":"(pre-queue|waiting|admitted)"/, why: 'a place in the line' },
];

interface Ran {
  command: string;
  /** NaN: it never finished (the whole run's timeout). */
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs the commands in one bash, in order (a variable one line sets is there for the next), each one's output apart. */
async function runInBash(commands: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Ran[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ts-docs-check-'));
  try {
    const script = [
      'set -o pipefail',
      // A curl that gets a 4xx or 5xx fails the command (and still prints the body, for the report).
      'curl() { command curl --fail-with-body "$@"; }',
      // npx ticket-spike is this package's bin (see the top of this file).
      `npx() { if [ "$1" = ticket-spike ]; then shift; node ${JSON.stringify(join(ROOT, 'bin', 'ticket-spike.js'))} "$@"; else command npx "$@"; fi; }`,
      ...commands.map((c, i) => `t0=$(date +%s%3N)\n{ ${c}\n} >"$D/${i}.out" 2>"$D/${i}.err" </dev/null; echo "$? $(( $(date +%s%3N) - t0 ))" >"$D/${i}.rc"`),
    ].join('\n');
    writeFileSync(join(dir, 'script.sh'), script);
    await new Promise<void>((resolve, reject) => {
      const bash = spawn('bash', [join(dir, 'script.sh')], { cwd: ROOT, env: { ...env, D: dir }, stdio: 'ignore' });
      const timer = setTimeout(() => bash.kill('SIGKILL'), timeoutMs);
      bash.once('error', reject);
      bash.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const read = (file: string) => {
      try {
        return readFileSync(join(dir, file), 'utf8');
      } catch {
        return undefined;
      }
    };
    return commands.map((command, i) => ({
      command,
      code: Number((read(`${i}.rc`) ?? 'NaN').split(' ')[0]),
      ms: Number((read(`${i}.rc`) ?? 'NaN NaN').split(' ')[1]),
      stdout: read(`${i}.out`) ?? '',
      stderr: read(`${i}.err`) ?? '',
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const blocks = pages.flatMap((page) => markedBlocks(page, readFileSync(join(ROOT, page), 'utf8')));

t.test('the README has its quick start and its five minutes, marked', async (t) => {
  const readme = blocks.filter((b) => b.page === 'README.md').map((b) => b.name);
  t.same(readme.slice(0, 2), ['quick-start', 'what-to-try'], 'both blocks, in this order');
  t.ok(blocks.filter((b) => b.name !== 'quick-start').every((b) => b.commands.length > 0), 'no marked block is empty');
});

t.test('quick start: the two commands, and what npm start and npm test are', async (t) => {
  const quick = blocks.find((b) => b.page === 'README.md' && b.name === 'quick-start');
  const strip = (c: string) => c.replace(/\s+#.*$/, '').trim();
  t.same(quick?.commands.map(strip), ['npm ci && npm start', 'npm ci && npm test'], 'exactly the two command lines of DESIGN.md');
  t.match(quick?.commands[1] ?? '', /~\d+ min/, 'the test time is said');
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  t.match(scripts['prestart'] ?? '', /npm run build/, 'npm start builds first');
  t.match(scripts['start'] ?? '', /dist\/src\/cli\/main\.js up$/, 'npm start is `ticket-spike up` — what this test starts');
  t.match(scripts['test'] ?? '', /\btap$/, 'npm test ends in tap, which runs test/integration (this file too)');
});

t.test('npx ticket-spike finds this package\'s own bin (no download)', async (t) => {
  const out = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const npx = spawn('npx', ['--no-install', 'ticket-spike', '--help'], { cwd: ROOT, env: childEnv({ npm_config_update_notifier: 'false' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    npx.stdout.on('data', (c: Buffer) => (text += c.toString()));
    npx.stderr.on('data', (c: Buffer) => (text += c.toString()));
    npx.once('error', reject);
    npx.once('exit', (code) => resolve({ code, text }));
  });
  t.equal(out.code, 0, 'exit 0', { output: out.text.slice(-1000) });
  t.match(out.text, /ticket-spike up \[options\]/, 'the usage of this checkout\'s CLI');
});

t.test('the marked commands, run as typed against a fresh up', async (t) => {
  const up = await UpProcess.start();
  t.teardown(() => up.killAll());
  const runnable = blocks.filter((b) => b.name !== 'quick-start');
  const commands = runnable.flatMap((b) => b.commands.map((c) => ({ block: b, command: c, run: localize(c, up.port) })));
  const env = childEnv({
    // The CLI finds this up's Redis and PostgreSQL as it finds a plain `npm start`'s in var/.
    TICKET_SPIKE_VAR: up.varDir,
    // npx runs this package's own bin; never a download.
    npm_config_yes: 'false',
    npm_config_update_notifier: 'false',
  });
  const started = Date.now();
  const ran = await runInBash(
    commands.map((c) => c.run),
    env,
    60_000,
  );
  t.comment(`${ran.length} commands from ${runnable.map((b) => `${b.page} ${b.name}`).join(', ')} in ${Date.now() - started} ms`);
  ran.forEach((r, i) => {
    const where = `${commands[i].block.page} ${commands[i].block.name}: ${commands[i].command.split('\n')[0].replace(/\s+#.*$/, '')}`;
    const detail = { stdout: r.stdout.slice(-1500), stderr: r.stderr.slice(-1500) };
    t.equal(r.code, 0, `${where} — exit 0 (${r.ms} ms)`, r.code === 0 ? {} : detail);
    for (const e of EXPECTED.filter((x) => x.command.test(commands[i].command))) t.match(r.stdout, e.stdout, `${where} — ${e.why}`, detail);
  });

  for (const url of runnable.flatMap((b) => b.opens)) {
    const res = await fetch(localize(url, up.port));
    const body = await res.text();
    t.equal(res.status, 200, `open ${url}: 200`);
    t.match(body, /<html/i, `open ${url}: a page`);
  }
  const stopped = await up.stop();
  t.equal(stopped.code, 0, 'up stops cleanly after the tour');
});
