import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnv } from './env.js';
import { cliArgs } from './cli-entry.js';
import { inHost, type HostPlace } from './hosts/place.js';

export interface WorkerProcessOptions {
  /**
   * Run inside this harness host (test/helpers/hosts.ts); its metrics, when --metrics-port is given, listen on
   * the host's address. The URLs must then name addresses the host reaches. Default: the test's namespace.
   */
  host?: HostPlace;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `ticket-spike orders-worker` as a real child process (compiled: test/helpers/cli-entry.ts), started with the given Redis and
 * PostgreSQL; stopped by pid: SIGTERM (it finishes its batch), or killed with SIGKILL mid-batch.
 */
export class WorkerProcess {
  output = '';
  private readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString();
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static start(redisUrl: string, databaseUrl: string, args: string[] = [], options: WorkerProcessOptions = {}): WorkerProcess {
    const metricsHost = options.host !== undefined ? ['--metrics-host', options.host.address] : [];
    const child = spawn(
      ...inHost(options.host, process.execPath, cliArgs(['orders-worker', '--redis', redisUrl, '--log-level', 'warn', ...metricsHost, ...args])),
      { cwd: ROOT, env: childEnv({ DATABASE_URL: databaseUrl }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new WorkerProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  async stop(): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.kill('SIGTERM');
    clearTimeout(timer);
    return code;
  }
}
