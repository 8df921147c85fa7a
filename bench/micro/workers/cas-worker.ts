// A thread hammering StockCounters.take() (or the counter-less reference) on one slot.

import { parentPort, workerData } from 'node:worker_threads';
import { StockCounters } from '../../../native-free-shm/src/index.js';
import { makeBareTake } from '../lib/bare-take.js';

export interface CasWorkerData {
  buffer: SharedArrayBuffer;
  slot: number;
  partition: number;
  /** 'take': the real take(); 'bare': the same CAS loop without the taken counter. */
  mode: 'take' | 'bare';
}

const data = workerData as CasWorkerData;
const counters = StockCounters.attach(data.buffer);
const bare = makeBareTake(counters);
const { slot, partition } = data;

function runTake(ops: number): number {
  let ok = 0;
  for (let i = 0; i < ops; i++) if (counters.take(slot, partition)) ok++;
  return ok;
}

function runBare(ops: number): number {
  let ok = 0;
  for (let i = 0; i < ops; i++) if (bare(slot, partition)) ok++;
  return ok;
}

const run = data.mode === 'bare' ? runBare : runTake;
parentPort?.on('message', ({ ops }: { ops: number }) => {
  parentPort?.postMessage({ ok: run(ops) });
});
parentPort?.postMessage('ready');
