// Question: what does the per-buyer rate limit add to a purchase on the hot path? One take from the node's
// bucket table (src/sale/buyer-buckets.ts: hash the buyer, read the clock, one Atomics.load and, when admitted,
// one Atomics.compareExchange on a 4 MiB SharedArrayBuffer), in ns per take. Each timed call makes 10,000 takes.
// Run: node --import tsx --conditions=ticket-spike-source bench/micro/buyer-buckets.ts

import { BuyerBuckets } from '../../src/sale/buyer-buckets.js';
import { measureSingle, makeReport, runStandalone, type Report, type Row } from './lib/harness.js';

const BATCH = 10_000;
/** 100,000 distinct buyers, as a sale's crowd: spread over the table, so most takes miss the CPU cache. */
const BUYERS = Array.from({ length: 100_000 }, (_, i) => `buyer-${i}@example.com`);

export async function run(): Promise<Report> {
  const rows: Row[] = [];
  let sink = 0;
  let next = 0;
  // A rate no crowd reaches: every take is admitted (load + CAS).
  const generous = BuyerBuckets.create({ rate: 1_000_000, burst: 1000 });
  rows.push(await measureSingle('take, admitted (100k buyers, load + CAS)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) {
      sink += generous.take(BUYERS[next]);
      next = next + 1 === BUYERS.length ? 0 : next + 1;
    }
  }));
  rows.push(await measureSingle('take, admitted (one buyer, bucket in cache)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += generous.take('buyer-7@example.com');
  }));
  // One bot far over its limit: every take is refused (load, no write).
  const strict = BuyerBuckets.create({ rate: 1, burst: 1 });
  strict.take('bot-1');
  rows.push(await measureSingle('take, refused (one bot over its limit)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += strict.take('bot-1');
  }));
  const off = BuyerBuckets.create({ rate: 0, burst: 1 });
  rows.push(await measureSingle('take, limit off (--buyer-rate 0)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += off.take(BUYERS[i]);
  }));
  rows.push(await measureSingle('Date.now() alone (part of every take)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += Date.now() & 1;
  }));
  const notes = [`ns per take: ${rows.map((r) => `${r.name} ${(1e9 / r.opsPerSec).toFixed(1)}`).join('; ')}`, `(checksum ${sink !== 0})`];
  return makeReport('buyer-buckets', 'What does a take from the per-buyer bucket table cost?', rows, notes);
}

await runStandalone(import.meta.url, run);
