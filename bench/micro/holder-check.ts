// Question: what does the sold-out answer's "may this buyer hold something?" check cost per request — the shared
// holder filter (issue 18: a Bloom filter in a SharedArrayBuffer, 5 probes) against the two per-thread Sets it
// replaced? It runs for every sold-out answer of a named buyer, so it must stay a fraction of a microsecond. A
// sale of 100,000 holds (a user and a key each); the checked buyers are strangers (the common case: they hold
// nothing and hear "sold out") and holders. Each timed call checks 10,000 buyers.
// Run: node --import tsx bench/micro/holder-check.ts

import { HolderFilter } from '../../src/sale/holder-filter.js';
import { measureSingle, makeReport, runStandalone, type Report, type Row } from './lib/harness.js';

const BATCH = 10_000;
const HOLDS = 100_000;

export async function run(): Promise<Report> {
  const users = Array.from({ length: HOLDS }, (_, i) => `buyer${i}`);
  const keys = users.map((u, i) => `${u} ${(i * 2654435761).toString(16).padStart(32, '0')}`);
  const userSet = new Set(users);
  const keySet = new Set(keys);
  const filter = HolderFilter.create(2 * HOLDS);
  for (let i = 0; i < HOLDS; i++) {
    filter.add(users[i]);
    filter.add(keys[i]);
  }
  filter.publish(HOLDS);
  const strangers = Array.from({ length: BATCH }, (_, i) => `stranger${i}`);
  const strangerKeys = strangers.map((u, i) => `${u} ${(i * 40503).toString(16).padStart(32, '0')}`);
  let sink = 0;
  const rows: Row[] = [];
  rows.push(await measureSingle('Sets (before): stranger with a request key', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += userSet.has(strangers[i]) || keySet.has(strangerKeys[i]) ? 1 : 0;
  }));
  rows.push(await measureSingle('filter (now): stranger with a request key', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += (filter.synced >= 0 && filter.has(strangers[i])) || filter.has(strangerKeys[i]) ? 1 : 0;
  }));
  rows.push(await measureSingle('Sets (before): holder', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += userSet.has(users[i]) ? 1 : 0;
  }));
  rows.push(await measureSingle('filter (now): holder', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += filter.has(users[i]) ? 1 : 0;
  }));
  const ns = (r: Row) => 1e9 / r.opsPerSec;
  const [setStranger, filterStranger] = rows as [Row, Row];
  const maybes = strangers.filter((s, i) => filter.has(s) || filter.has(strangerKeys[i])).length;
  const notes = [
    `ns per check: ${rows.map((r) => `${r.name} ${ns(r).toFixed(0)}`).join('; ')}`,
    `a stranger's check costs ${(ns(filterStranger) - ns(setStranger)).toFixed(0)} ns more with the filter`,
    `strangers sent to Redis by a false "maybe": ${maybes} of ${BATCH}`,
    `memory: the filter ${filter.bytes} bytes per node; the Sets were per thread (bench/redis/holder-resync.ts)`,
    `(checksum ${sink > 0})`,
  ];
  return makeReport('holder-check', 'What does the sold-out path\'s holder check cost per request?', rows, notes);
}

await runStandalone(import.meta.url, run);
