import { Worker } from 'node:worker_threads';
import type { ThreadData } from '../messages.js';

/**
 * Starts one uWS thread (src/node/thread/http-thread). Built: the .js file directly. Under tsx (tests, dev):
 * Node 20 runs a worker's `--import tsx` (inherited execArgv) only after resolving its main module, so a .ts
 * main fails with ERR_UNKNOWN_FILE_EXTENSION; a tiny eval bootstrap registers tsx's hooks first, then imports
 * the .ts file. (--conditions=ticket-spike-source is inherited through execArgv either way.)
 */
export function startThread(workerData: ThreadData): Worker {
  // Under tsx this file is .ts, after `tsc -b` it is .js: the thread file has the same extension.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`../thread/http-thread${ext}`, import.meta.url);
  if (ext === '.js') return new Worker(url, { workerData });
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
