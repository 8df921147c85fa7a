// Baseline (b), a client: asks the owner thread for each unit and waits for the answer. `inFlight`
// requests may be outstanding at once (1 = one request handler awaiting its take; more = a uWS thread
// with many concurrent requests, which is kinder to this baseline).

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

export interface ChannelClientData {
  port: MessagePort;
  inFlight: number;
}

const { port, inFlight } = workerData as ChannelClientData;

function run(ops: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    let answered = 0;
    let ok = 0;
    const onReply = (got: boolean): void => {
      answered++;
      if (got) ok++;
      if (sent < ops) {
        sent++;
        port.postMessage(0);
      } else if (answered === ops) {
        port.off('message', onReply);
        resolve(ok);
      }
    };
    port.on('message', onReply);
    while (sent < Math.min(inFlight, ops)) {
      sent++;
      port.postMessage(0);
    }
  });
}

parentPort?.on('message', ({ ops }: { ops: number }) => {
  void run(ops).then((ok) => parentPort?.postMessage({ ok }));
});
parentPort?.postMessage('ready');
