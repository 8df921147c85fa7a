import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv } from './env.js';
import { freePort } from './free-port.js';
import { inHost, type HostPlace } from './hosts/place.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface NodeProcessOptions {
  redisUrl: string;
  threads?: number;
  /** Extra `ticket-spike node` flags, e.g. ['--reconcile-ms', '0']. */
  args?: string[];
  /** Variables to set for the node (it sees nothing else of the caller's environment but PATH and HOME). */
  env?: Record<string, string>;
  /** Wait for /readyz (Redis reachable) rather than /healthz. Default true. */
  waitReady?: boolean;
  /** Listen on this port (to restart a node in place); by default a free one. */
  port?: number;
  /**
   * Run inside this harness host (test/helpers/hosts.ts): `--host <its address>`, probed there from the test.
   * Its redisUrl must then name an address the host reaches (another host's, not 127.0.0.1). Default: the test's
   * own 127.0.0.1.
   */
  host?: HostPlace;
}

/**
 * `ticket-spike node` as a real child process (node dist/src/cli/main.js node, test/helpers/cli-entry.ts)
 * --port <free> ..., ready when /readyz (or /healthz) answers 200; stopped by pid: SIGTERM, then SIGKILL.
 */
export class NodeProcess {
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;
  output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly host: HostPlace | undefined,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal === null ? null : -1);
        resolve(this.exitCode);
      });
    });
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString();
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Where the test reaches it: 127.0.0.1, or its host's address. */
  get address(): string {
    return this.host?.address ?? '127.0.0.1';
  }

  get url(): string {
    return `http://${this.address}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(options: NodeProcessOptions): Promise<NodeProcess> {
    const node = await NodeProcess.spawn(options);
    await node.waitFor(options.waitReady === false ? '/healthz' : '/readyz', 30_000);
    return node;
  }

  /** Starts the process without waiting for it to answer (a test of what happens while it starts). */
  static async spawn(options: NodeProcessOptions): Promise<NodeProcess> {
    const port = options.port ?? (await freePort());
    const child = spawn(
      ...inHost(options.host, process.execPath, cliArgs([
        'node',
        '--port', String(port),
        ...(options.host !== undefined ? ['--host', options.host.address] : []),
        '--threads', String(options.threads ?? 2),
        '--redis', options.redisUrl,
        '--log-level', 'warn',
        ...(options.args ?? []),
      ])),
      { cwd: ROOT, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new NodeProcess(child, port, options.host);
  }

  /** Waits until the process has printed `text` (its log is JSON lines on stdout/stderr). */
  async waitForOutput(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (this.exitCode !== undefined) throw new Error(`node exited (${this.exitCode}) before printing ${JSON.stringify(text)}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`node did not print ${JSON.stringify(text)} within ${timeoutMs} ms:\n${this.output}`);
      await sleep(20);
    }
  }

  /** Polls a path until it answers 200. */
  async waitFor(path: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined) throw new Error(`node exited (${this.exitCode}) before ${path} was 200:\n${this.output}`);
      try {
        const res = await fetch(this.url + path, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`node on ${this.address}:${this.port}: ${path} not 200 within ${timeoutMs} ms:\n${this.output}`);
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code (-1 when killed by a signal). */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  wait(): Promise<number | null> {
    return this.exited;
  }
}

import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { cliArgs } from './cli-entry.js';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Parsed body (null when it is not JSON). */
  json: { code: number; msg: string; data?: unknown; error?: string } | null;
}

/** A keep-alive agent with at most `sockets` connections (the test's "N keep-alive connections"). */
export function keepAliveAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
}

/** One HTTP request over node:http; rejects only on a transport error (no answer at all). */
export function http(
  agent: Agent | undefined,
  method: string,
  url: string,
  body?: string,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: HttpAnswer['json'] = null;
        try {
          json = JSON.parse(text) as HttpAnswer['json'];
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms: ${method} ${url}`)));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** Runs `jobs` with at most `limit` in flight; returns their results in order. */
export async function pool<T>(limit: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
