// Baseline (b), the owner: the only thread that touches the counter. Every take is a message to it and
// a message back — what the Go demo's channel lock amounts to in Node, where threads share nothing
// unless you use a SharedArrayBuffer.

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

export interface ChannelOwnerData {
  ports: MessagePort[];
  units: number;
}

const data = workerData as ChannelOwnerData;
let units = data.units;
for (const port of data.ports) {
  port.on('message', () => {
    const ok = units > 0;
    if (ok) units--;
    port.postMessage(ok);
  });
}
parentPort?.on('message', (message: { restock?: number }) => {
  if (message.restock !== undefined) units = message.restock;
});
parentPort?.postMessage('ready');
