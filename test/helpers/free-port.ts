import { createServer } from 'node:net';

/** Asks the kernel for a port nobody listens on (bind to 0), then releases it for the caller. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: could not read the bound port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
