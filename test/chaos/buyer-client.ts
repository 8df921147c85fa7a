import { Agent, request } from 'node:http';
import type { Attempt, Journal, Seen } from './journal.js';

export interface BuyOptions {
  /** Abort the request after this many ms (a client giving up mid-flight); undefined = wait. */
  abortAfterMs?: number;
  timeoutMs: number;
  /** The caller left this agent's connection idle (11-15 s) before this request. */
  afterIdle?: boolean;
}

/**
 * One purchase request through nginx, classified the way a buyer reads it: a business answer (200 with
 * code 1 / -1 / -2 / -3), "busy" (409: the same key is in flight, or 429), "unknown" (no answer, an abort,
 * or a 5xx: the outcome is not known), or "rejected" (any other 4xx: never expected from these buyers).
 */
export function buy(agent: Agent, baseUrl: string, sale: string, user: string, key: string, journal: Journal, options: BuyOptions): Promise<Attempt> {
  const body = JSON.stringify({ user, sale });
  const sentAt = journal.now();
  return new Promise((resolve) => {
    let settled = false;
    let reused = false;
    const finish = (seen: Seen, status: number, extra: Partial<Attempt> = {}) => {
      if (settled) return;
      settled = true;
      const attempt: Attempt = { user, key, sentAt, doneAt: journal.now(), seen, status, ...extra };
      if (reused) attempt.idleReuse = true;
      journal.record(attempt);
      resolve(attempt);
    };
    const req = request(
      `${baseUrl}/buy/ticket`,
      {
        method: 'POST',
        agent,
        timeout: options.timeoutMs,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Idempotency-Key': key },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => finish('unknown', res.statusCode ?? 0, { detail: 'response cut' }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString();
          const json = parseAnswer(text);
          if (status === 200 && json !== null) {
            if (json.code === 1 && typeof json.data?.orderId === 'string') return finish('ok', status, { orderId: json.data.orderId });
            if (json.code === -1) return finish('soldout', status);
            if (json.code === -2) return finish('limit', status);
            if (json.code === -3) return finish('notopen', status);
          }
          if (status === 409 || status === 429) return finish('busy', status, { detail: json?.error });
          if (status >= 500) return finish('unknown', status, { detail: json?.error ?? text.slice(0, 80) });
          finish('rejected', status, { detail: text.slice(0, 200) });
        });
      },
    );
    req.on('socket', () => {
      reused = options.afterIdle === true && req.reusedSocket;
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => finish('unknown', 0, { detail: err.message }));
    if (options.abortAfterMs !== undefined) {
      setTimeout(() => {
        if (!settled) req.destroy(new Error('client abort'));
      }, options.abortAfterMs).unref();
    }
    req.end(body);
  });
}

interface Answer {
  code?: number;
  data?: { orderId?: string };
  error?: string;
}

function parseAnswer(text: string): Answer | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value) : null;
  } catch {
    return null;
  }
}

/** POST /orders/{id}/pay (buyer authentication is off in chaos runs): 'paid', 'unknown' (no answer, 5xx),
 *  or the status and error code of a refusal. */
export function pay(agent: Agent, baseUrl: string, orderId: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`${baseUrl}/orders/${encodeURIComponent(orderId)}/pay`, { method: 'POST', agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => resolve('unknown'));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const json = parseAnswer(Buffer.concat(chunks).toString()) as { data?: { status?: string }; error?: string } | null;
        if (status === 200 && json?.data?.status === 'paid') resolve('paid');
        else if (status >= 500 || status === 429) resolve('unknown');
        else resolve(`HTTP ${status} ${json?.error ?? ''}`);
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve('unknown'));
    req.end();
  });
}
