// Starting a TypeScript file as a worker thread under tsx (same helper as native-free-shm/test/fixtures).
//
// Workers do NOT inherit tsx on Node 20: tap runs node with --import=tsx, the worker gets the same
// execArgv, yet loading a .ts entry fails with ERR_UNKNOWN_FILE_EXTENSION (tsx#354, node#47747: the
// loader hooks are not in place for the worker's entry module on v20). Passing
// execArgv ['--import','tsx','--conditions=source'] explicitly fails the same way. What works: a tiny
// JavaScript entry (eval) that registers tsx's hooks inside the worker first, then imports the .ts file.
// --conditions=source is inherited through execArgv, so the worker resolves native-free-shm to its source.

import { Worker, type Transferable } from 'node:worker_threads';

const tsxApi = import.meta.resolve('tsx/esm/api');

export function spawnTsWorker(file: URL, workerData: unknown, transferList: Transferable[] = []): Worker {
  const entry =
    `import(${JSON.stringify(tsxApi)})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(entry, { eval: true, workerData, transferList: transferList as never });
}

/** Resolves with the worker's next message, rejects if it errors or exits first. */
export function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: T): void => {
      cleanup();
      resolve(message);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`worker exited with code ${code} before answering`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
