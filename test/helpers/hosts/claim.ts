import { createServer, type Server } from 'node:net';

/**
 * Which process owns harness instance `index` (its names tsh<index>..., its addresses 10.231.<index>.0/24).
 *
 * The claim is a listening socket in Linux's abstract namespace ("\0ticket-spike-hosts-<index>"): binding it fails
 * with EADDRINUSE while another process holds it, and the kernel releases it the moment the owner dies, however
 * it dies (SIGKILL by tap's timeout included). So "is the owner alive?" needs no pid file, and a recycled pid
 * never looks like an owner. Whoever holds the claim — the owner, or a later run reaping what a dead owner left
 * — is the only one touching that instance's names, so two cleaners never race. `ss -xlp | grep
 * ticket-spike-hosts` shows who owns what. Node opens every fd close-on-exec: a child (a Redis the harness
 * started) never inherits the claim and never keeps it alive after its test died.
 */
export const INSTANCES = 64;

function claimPath(index: number): string {
  return `\0ticket-spike-hosts-${index}`;
}

/** The claim's socket when we got it; undefined when a live process holds it. */
export function claim(index: number): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen({ path: claimPath(index) }, () => {
      // Never keeps the test process alive by itself.
      server.unref();
      resolve(server);
    });
  });
}
