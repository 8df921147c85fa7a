// Question 4, baseline (b): the "channel lock" — every take is a postMessage to the owner thread of the
// counter and a reply back. What the Go demo's channel lock amounts to in Node. Same shape: 2 and 4
// client threads on one counter; plus 4 clients with 16 requests in flight each (a uWS thread has many
// concurrent requests, so it could pipeline; this is the kindest version of the baseline).

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Fleet, measureFleet, makeReport, runStandalone, type Report, type Row } from './lib/harness.js';
import type { ChannelClientData } from './workers/channel-client.js';
import type { ChannelOwnerData } from './workers/channel-owner.js';

const ownerWorker = new URL('./workers/channel-owner.ts', import.meta.url);
const clientWorker = new URL('./workers/channel-client.ts', import.meta.url);
const UNITS = 2 ** 31 - 1;

async function measure(threads: number, inFlight: number): Promise<Row> {
  const channels = Array.from({ length: threads }, () => new MessageChannel());
  const ownerPorts: MessagePort[] = channels.map((c) => c.port1);
  const owner = await Fleet.start(ownerWorker, [{ ports: ownerPorts, units: UNITS } satisfies ChannelOwnerData], [ownerPorts]);
  try {
    const ownerThread = owner.workers[0];
    return await measureFleet(
      inFlight === 1 ? 'channel take (postMessage round trip)' : `channel take, ${inFlight} in flight per thread`,
      clientWorker,
      channels.map((c): ChannelClientData => ({ port: c.port2, inFlight })),
      () => ownerThread.postMessage({ restock: UNITS }),
      channels.map((c) => [c.port2]),
    );
  } finally {
    await owner.close();
  }
}

export async function run(): Promise<Report> {
  const rows: Row[] = [];
  for (const threads of [2, 4]) rows.push(await measure(threads, 1));
  rows.push(await measure(4, 16));
  return makeReport('channel-baseline', 'every take is a postMessage to an owner thread and back', rows, [
    'threads = client threads; the owner is one more thread.',
    'Restock message to the owner is sent at the start of each round (ordered before the clients\' requests only loosely; units never run out anyway).',
  ]);
}

await runStandalone(import.meta.url, run);
