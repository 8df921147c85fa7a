// Question: what does an unguessable order id cost per purchase, against the counter id it replaced?
// Each timed call makes 10,000 ids. Run: node --import tsx bench/micro/order-ids.ts

import { randomBytes, randomUUID } from 'node:crypto';
import { newOrderId } from '../../src/sale/ids.js';
import { measureSingle, makeReport, runStandalone, type Report, type Row } from './lib/harness.js';

const BATCH = 10_000;

/** The id scheme before: time, tag, a per-process nonce and a counter — unique, and predictable. */
const NONCE = randomBytes(8).readBigUInt64BE().toString(36);
let counter = 0;
const counterId = (sale: string) => `${sale}.${Date.now().toString(36)}-t0-${NONCE}-${(++counter % 36 ** 5).toString(36)}`;

export async function run(): Promise<Report> {
  const rows: Row[] = [];
  let sink = 0;
  rows.push(await measureSingle('counter id (before: predictable)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += counterId('G1234').length;
  }));
  rows.push(await measureSingle('newOrderId: 128 CSPRNG bits, pooled 4 KiB', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += newOrderId('G1234').length;
  }));
  rows.push(await measureSingle('randomBytes(16) per id', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += `G1234.${randomBytes(16).toString('base64url')}`.length;
  }));
  rows.push(await measureSingle('randomUUID per id (122 bits)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += `G1234.${randomUUID()}`.length;
  }));
  const notes = [`ns per id: ${rows.map((r) => `${r.name} ${(1e9 / r.opsPerSec).toFixed(0)}`).join('; ')}`, `(checksum ${sink > 0})`];
  return makeReport('order-ids', 'What does an unguessable order id cost per purchase?', rows, notes);
}

await runStandalone(import.meta.url, run);
