import { createServer } from 'node:net';
import { LaunchError } from './errors.js';

/** True when nothing listens on host:port (we could bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel picks as free at this moment. */
export function anyFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

export interface PortClaim {
  port: number;
  /** Who wanted it, e.g. "nginx (--port)" — named in the error message. */
  what: string;
}

/**
 * Fails with one clear message naming the first busy port and the flag that sets it; `hint` (e.g. a
 * recorded pid that is now another program) is added to it.
 */
export async function assertPortsFree(claims: PortClaim[], hint = ''): Promise<void> {
  const seen = new Map<number, string>();
  for (const { port, what } of claims) {
    const other = seen.get(port);
    if (other !== undefined) {
      throw new LaunchError('BAD_FLAG', `port ${port} is wanted twice: by ${other} and by ${what}`);
    }
    seen.set(port, what);
  }
  for (const { port, what } of claims) {
    if (!(await isPortFree(port))) {
      throw new LaunchError(
        'PORT_IN_USE',
        `port ${port} (${what}) is already in use — stop whatever listens there (ss -ltnp 'sport = :${port}') or pick another port${hint}`,
      );
    }
  }
}
