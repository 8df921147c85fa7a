import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnv } from './env.js';
import { cliArgs } from './cli-entry.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded by `timeoutMs`) and collects what it printed; never rejects. */
export function runCommand(file: string, args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? ROOT, env: childEnv(options.env), timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `ticket-spike <args>` from dist/, as the tests run every child (test/helpers/cli-entry.ts). */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCommand(process.execPath, cliArgs(args), { env });
}
