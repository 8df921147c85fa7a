import { request } from 'node:http';

export interface FromAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request on its own connection from a chosen local address: every 127.x.y.z is this machine, so a test
 * can be a second client address (127.0.0.2) — a peer that is not a trusted proxy — without any network setup.
 */
export function requestFrom(
  port: number,
  path: string,
  options: { localAddress?: string; headers?: Record<string, string>; method?: string; timeoutMs?: number } = {},
): Promise<FromAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { connection: 'close', ...options.headers },
        agent: false,
        localAddress: options.localAddress ?? '127.0.0.1',
        timeout: options.timeoutMs ?? 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end();
  });
}
