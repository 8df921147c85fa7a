import { Socket } from 'node:net';

/**
 * True when a TCP connection to host:port is accepted within timeoutMs. A readiness probe for a port in a harness
 * host; and the way to tell "cut off" (the connect hangs: false after the timeout) from "up".
 */
export function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}
