// Tests ask the kernel for free ports the same way `up` does (bind to 0, read it, release it) — and then claim the
// port across test processes. tap runs test files side by side, each in its own process: two of them asking at
// once can be handed the same port (it is free again the moment it is released), and the nodes listen with
// SO_REUSEPORT, so both would "work" and split each other's connections (seen: a dashboard test's node answering
// for another test's). A claim is a file created with O_EXCL in one directory for this machine's tests; a port
// claimed within the last 10 minutes is not handed out again.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anyFreePort } from '../../src/launcher/ports.js';

const CLAIMS = join(tmpdir(), 'ticket-spike-test-ports');
const CLAIM_MS = 10 * 60_000;

function claim(port: number): boolean {
  mkdirSync(CLAIMS, { recursive: true });
  const file = join(CLAIMS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A stale claim (an earlier run's): taken over, the file's time renewed.
    if (Date.now() - statSync(file).mtimeMs < CLAIM_MS) return false;
    writeFileSync(file, String(process.pid));
    return true;
  }
}

export async function freePort(host?: string): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = await anyFreePort(host);
    if (claim(port)) return port;
  }
  throw new Error(`no free port that another test process has not claimed in the last ${CLAIM_MS / 60_000} minutes`);
}
