// The ceiling baseline (npm run bench, bench/stress/node-vs-hello.sh): the same process shape as `ticket-spike node` — a main thread
// that starts N worker threads, each with its own uWS App listening on the same port (SO_REUSEPORT) — but the
// route answers a small fixed JSON at once: no validation, no shared stock, no Redis.
//   node --import tsx bench/baselines/hello.ts --port 3999 --threads 2
import { isMainThread, Worker, workerData, parentPort } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { App, us_listen_socket_close, type us_listen_socket } from 'uWebSockets.js';
import { PURCHASE_ANSWER_BYTES } from '../../src/http/routes/buy.js';

interface HelloData {
  port: number;
  index: number;
}

if (isMainThread) {
  const { values } = parseArgs({ options: { port: { type: 'string' }, threads: { type: 'string' } } });
  const port = Number(values.port ?? 3999);
  const threads = Number(values.threads ?? 2);
  const url = new URL(import.meta.url);
  const workers = Array.from({ length: threads }, (_, index) => {
    const data: HelloData = { port, index };
    // Same tsx bootstrap as src/node/main.ts (a worker's --import runs too late for a .ts main).
    return url.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData: data })
      : new Worker(url, { workerData: data });
  });
  const stop = () => {
    for (const worker of workers) worker.postMessage('stop');
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  const { port, index } = workerData as HelloData;
  // Padded like every ticket-spike purchase answer (PURCHASE_ANSWER_BYTES, for ab's length check): the ceiling
  // sends the same bytes, so nginx and the kernel copy as much for hello as for a real answer.
  const body = JSON.stringify({ code: 1, msg: 'success', data: { orderId: 'hello.0', expiresAt: 0, replayed: false } }).padEnd(PURCHASE_ANSWER_BYTES);
  let listenSocket: us_listen_socket | false = false;
  // The purchase URL answers the constant; anything else is a 404, as on a node (the bench's budgeted runs
  // tell their filler requests apart by it).
  const app = App()
    .get('/buy/ticket', (res) => {
      res.cork(() => {
        res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json').writeHeader('X-Served-By', `hello-t${index}`).end(body);
      });
    })
    .any('/*', (res) => {
      res.cork(() => {
        res.writeStatus('404 Not Found').writeHeader('Content-Type', 'application/json').end('{"code":404,"msg":"no such route"}');
      });
    })
    .listen('127.0.0.1', port, (socket) => {
      listenSocket = socket;
      if (socket === false) throw new Error(`hello: cannot listen on ${port}`);
    });
  parentPort?.on('message', () => {
    if (listenSocket !== false) us_listen_socket_close(listenSocket);
    app.close();
    parentPort?.close();
  });
}
