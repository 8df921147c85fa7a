import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
import { inHost, type HostPlace } from './hosts/place.js';
import { tcpOpen } from './hosts/tcp-open.js';

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
  /**
   * Run inside this harness host (test/helpers/hosts.ts), listening on its address. Buyers from the test then come
   * from the harness's root address (hosts.rootAddress), not loopback: exempt it from the per-address limit with
   * rateExempt when that matters. Default: the test's own 127.0.0.1.
   */
  host?: HostPlace;
}

/**
 * A real nginx running the project's template (nginx/nginx.conf) for the given upstreams, in a temp
 * prefix, in the foreground (daemon off) as our child (inside a harness host with `host`). stop() sends QUIT, then KILL to its process group.
 */
export class NginxProcess {
  private constructor(
    readonly port: number,
    readonly prefix: string,
    readonly confFile: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    readonly host: HostPlace | undefined,
  ) {}

  /** Where the test reaches it: 127.0.0.1, or its host's address. */
  get address(): string {
    return this.host?.address ?? '127.0.0.1';
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get url(): string {
    return `http://${this.address}:${this.port}`;
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
      ...(options.host !== undefined ? { host: options.host.address } : {}),
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
    if (options.host === undefined) testNginxConf(binary, prefix, confFile);
    else testInHost(options.host, binary, prefix, confFile);
    const child = spawn(...inHost(options.host, binary, nginxArgs(prefix, confFile)), { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: childEnv() });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (gone) throw new Error(`nginx exited at start: ${stderr} ${readLog(prefix)}`);
      // Inside a host the port cannot be tried from here (binding its address fails in our namespace): connect.
      const listening = options.host === undefined ? !(await isPortFree(port)) : await tcpOpen(options.host.address, port, 500);
      if (listening) return new NginxProcess(port, prefix, confFile, child, exited, options.host);
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

/**
 * `nginx -t` inside the host: nginx -t binds the listen addresses, and the host's address exists only in its
 * namespace ("bind() ... failed (99: Cannot assign requested address)" anywhere else).
 */
function testInHost(host: HostPlace, binary: string, prefix: string, confFile: string): void {
  const result = spawnSync(...inHost(host, binary, ['-t', '-q', ...nginxArgs(prefix, confFile)]), { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`nginx -t in ${host.netns} rejected ${confFile}: ${`${result.stderr ?? ''}${result.stdout ?? ''}`.trim()}`);
}

function readLog(prefix: string): string {
  try {
    return readFileSync(join(prefix, 'error.log'), 'utf8');
  } catch {
    return '';
  }
}
