import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findBinary } from '../../src/launcher/prereqs.js';
import {
  nginxArgs,
  readNginxTemplate,
  renderNginxConf,
  testNginxConf,
  writeNginxConf,
  type Upstream,
} from '../../src/launcher/nginx.js';
import { isPortFree } from '../../src/launcher/ports.js';
import { childEnv } from './env.js';
import { freePort } from './free-port.js';

export interface NginxOptions {
  upstreams: Upstream[];
  /** Default: a free port. */
  port?: number;
  workerProcesses?: number;
  /** Per-address purchase limit (limit_req): requests a second, 0 or absent = off, and the burst. */
  ipRate?: number;
  ipBurst?: number;
  /** Addresses no per-address limit applies to; default loopback, as `up` (this test's own requests). */
  rateExempt?: readonly string[];
  /** Proxies whose X-Forwarded-For nginx believes; default none. */
  trustedProxies?: readonly string[];
  /** Edit the rendered config (to break it on purpose in a test). */
  transform?: (conf: string) => string;
}

/**
 * A real nginx running the project's template (nginx/nginx.conf) for the given upstreams, in a temp
 * prefix, in the foreground (daemon off) as our child. stop() sends QUIT, then KILL to its process group.
 */
export class NginxProcess {
  private constructor(
    readonly port: number,
    readonly prefix: string,
    readonly confFile: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static binary(): string {
    const bin = findBinary('nginx');
    if (bin === undefined) throw new Error('nginx is not installed (apt-get install -y nginx)');
    return bin;
  }

  static render(options: NginxOptions & { prefix: string; port: number }): string {
    const conf = renderNginxConf(readNginxTemplate(), {
      prefix: options.prefix,
      port: options.port,
      upstreams: options.upstreams,
      workerProcesses: options.workerProcesses ?? 1,
      ipRate: options.ipRate ?? 0,
      ipBurst: options.ipBurst ?? 0,
      ...(options.rateExempt !== undefined ? { rateExempt: options.rateExempt } : {}),
      ...(options.trustedProxies !== undefined ? { trustedProxies: options.trustedProxies } : {}),
    });
    return options.transform ? options.transform(conf) : conf;
  }

  static async start(options: NginxOptions): Promise<NginxProcess> {
    const binary = NginxProcess.binary();
    const port = options.port ?? (await freePort());
    const prefix = mkdtempSync(join(tmpdir(), 'ts-nginx-'));
    const confFile = writeNginxConf(NginxProcess.render({ ...options, prefix, port }), prefix);
    testNginxConf(binary, prefix, confFile);
    const child = spawn(binary, nginxArgs(prefix, confFile), { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: childEnv() });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (gone) throw new Error(`nginx exited at start: ${stderr} ${readLog(prefix)}`);
      if (!(await isPortFree(port))) return new NginxProcess(port, prefix, confFile, child, exited);
      await sleep(25);
    }
    child.kill('SIGKILL');
    throw new Error(`nginx did not listen on ${port} within 10 s: ${stderr}`);
  }

  errorLog(): string {
    return readLog(this.prefix);
  }

  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGQUIT');
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([this.exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5000)))]);
      clearTimeout(timer);
      if (!done && pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
        await this.exited;
      }
    }
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL'); // any worker left behind
      } catch {
        // none
      }
    }
    rmSync(this.prefix, { recursive: true, force: true });
  }
}

function readLog(prefix: string): string {
  try {
    return readFileSync(join(prefix, 'error.log'), 'utf8');
  } catch {
    return '';
  }
}
