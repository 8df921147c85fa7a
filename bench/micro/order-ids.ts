// Question: what does an unguessable order id cost per purchase — against the counter id it replaced, and with
// the per-sale tag (issue 17: 12 random bytes + 4 bytes of SipHash-2-4 under the sale's key) against without?
// The tag is on the hot path (one id per purchase), so it must earn its place: it lets a node refuse a made-up
// id without asking PostgreSQL. Each timed call makes 10,000 ids. Run: node --import tsx bench/micro/order-ids.ts

import { createHmac, randomBytes, randomFillSync, randomUUID } from 'node:crypto';
import { newIdKey, newOrderId, orderIdTagValid } from '../../src/sale/ids.js';
import { measureSingle, makeReport, runStandalone, type Report, type Row } from './lib/harness.js';

const BATCH = 10_000;

/** The id scheme before: time, tag, a per-process nonce and a counter — unique, and predictable. */
const NONCE = randomBytes(8).readBigUInt64BE().toString(36);
let counter = 0;
const counterId = (sale: string) => `${sale}.${Date.now().toString(36)}-t0-${NONCE}-${(++counter % 36 ** 5).toString(36)}`;

/**
 * The rejected alternative for the tag: node:crypto's HMAC-SHA256, first 4 bytes, random bytes pooled 4 KiB at
 * a time as newOrderId does — so the difference to the tagged row is the keyed hash alone.
 */
const HMAC_KEY = randomBytes(16);
const hmacPool = Buffer.allocUnsafe(16 * 256);
let hmacAt = hmacPool.length;
const hmacId = (sale: string) => {
  if (hmacAt === hmacPool.length) {
    randomFillSync(hmacPool);
    hmacAt = 0;
  }
  const at = hmacAt;
  hmacAt += 16;
  createHmac('sha256', HMAC_KEY).update(hmacPool.subarray(at, at + 12)).digest().copy(hmacPool, at + 12, 0, 4);
  return `${sale}.${hmacPool.toString('base64url', at, at + 16)}`;
};

export async function run(): Promise<Report> {
  const rows: Row[] = [];
  const key = newIdKey();
  let sink = 0;
  rows.push(await measureSingle('counter id (before: predictable)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += counterId('G1234').length;
  }));
  rows.push(await measureSingle('newOrderId untagged (legacy sale): 128 CSPRNG bits, pooled 4 KiB', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += newOrderId('G1234').length;
  }));
  rows.push(await measureSingle('newOrderId tagged: 96 CSPRNG bits + SipHash-2-4 tag (siphash24)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += newOrderId('G1234', key).length;
  }));
  rows.push(await measureSingle('tagged with node:crypto HMAC-SHA256 instead, pooled too (rejected)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += hmacId('G1234').length;
  }));
  const ids = Array.from({ length: BATCH }, () => newOrderId('G1234', key));
  rows.push(await measureSingle('orderIdTagValid of a tagged id (a lookup Redis missed)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += orderIdTagValid(ids[i], key) ? 1 : 0;
  }));
  rows.push(await measureSingle('randomBytes(16) per id', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += `G1234.${randomBytes(16).toString('base64url')}`.length;
  }));
  rows.push(await measureSingle('randomUUID per id (122 bits)', BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += `G1234.${randomUUID()}`.length;
  }));
  const ns = (r: Row) => 1e9 / r.opsPerSec;
  const [, untagged, tagged] = rows as [Row, Row, Row];
  const notes = [
    `ns per id: ${rows.map((r) => `${r.name} ${ns(r).toFixed(0)}`).join('; ')}`,
    `the tag costs ${(ns(tagged) - ns(untagged)).toFixed(0)} ns per purchase (tagged ${ns(tagged).toFixed(0)} vs untagged ${ns(untagged).toFixed(0)} ns)`,
    `(checksum ${sink > 0})`,
  ];
  return makeReport('order-ids', 'What does an unguessable, tagged order id cost per purchase?', rows, notes);
}

await runStandalone(import.meta.url, run);
