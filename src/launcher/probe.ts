import { request } from 'node:http';
import { tailFile } from './log-tail.js';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP/1.1 request on its own connection (no agent, no keep-alive), bounded by timeoutMs. `localAddress`
 * picks the connection's source address (tests use 127.0.0.2 as a second client of this machine).
 */
export function httpRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number; host?: string; localAddress?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.host ?? '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { connection: 'close', ...options.headers },
        agent: false,
        ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
        timeout: options.timeoutMs ?? 2000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 2000} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Polls `check` every intervalMs until it returns true; rejects when the signal aborts, naming the last
 * reason it was not ready (a string returned by check, or the error it threw).
 */
export async function waitUntil(check: () => Promise<boolean | string>, signal: AbortSignal, intervalMs = 50): Promise<void> {
  let last = 'no answer yet';
  while (!signal.aborted) {
    try {
      const result = await check();
      if (result === true) return;
      last = typeof result === 'string' ? result : 'not ready';
    } catch (err) {
      last = (err as Error).message;
    }
    if (signal.aborted) break;
    await sleep(intervalMs);
  }
  throw new Error(`last: ${last}`);
}

/** Resolves when GET path on the port answers 2xx (optionally: with a matching X-Served-By). */
export function httpReady(port: number, path: string, signal: AbortSignal): Promise<void> {
  return waitUntil(async () => {
    const answer = await httpRequest(port, path, { timeoutMs: 1000 });
    return (answer.status >= 200 && answer.status < 300) || `GET ${path} answered HTTP ${answer.status}`;
  }, signal);
}

/**
 * Resolves when the child `pid` has logged `msg` (one of its pino JSON lines in the log file it shares with
 * earlier runs): for a child with no port to ask, such as an order worker, whose start under load takes seconds.
 */
export function loggedReady(logFile: string, pid: number, msg: string, signal: AbortSignal): Promise<void> {
  const line = new RegExp(`"pid":${pid},.*"msg":${JSON.stringify(msg).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
  return waitUntil(() => Promise.resolve(line.test(tailFile(logFile, 64 * 1024)) || `pid ${pid} has not logged "${msg}" yet`), signal, 100);
}

/**
 * True when the Redis on the port answers PING with +PONG. With a password, AUTH goes first (a Redis with
 * requirepass answers a bare PING -NOAUTH) and must answer +OK. Commands in RESP, so no password character can
 * split them.
 */
export function redisPing(port: number, host = '127.0.0.1', password?: string): Promise<boolean> {
  const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  const request = (password !== undefined ? resp('AUTH', password) : '') + resp('PING');
  const replies = password !== undefined ? 2 : 1;
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      // AUTH and PING answer one line each (+OK / +PONG, or an error: -WRONGPASS, -NOAUTH, -LOADING).
      const lines = reply.split('\r\n');
      if (lines.length <= replies) return;
      done(lines[replies - 1].startsWith('+PONG') && (replies === 1 || lines[0] === '+OK'));
    });
    socket.connect(port, host, () => socket.write(request));
  });
}
