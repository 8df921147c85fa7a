import { randomBytes, randomFillSync } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { SALE_ID, matches } from '../rules/input-rules.js';

/**
 * Ids made without coordination between processes, threads or hosts.
 *
 * Order id = "<saleId>.<22 characters>": 128 bits from the operating system's CSPRNG, base64url, so no number
 * of other order ids tells anything about the next one — in the demo (no buyer authentication) the id is the
 * only capability to read, pay or cancel an order. Random bytes are drawn 4 KiB at a time; a purchase then
 * costs a slice and an encode (bench/micro/order-ids.ts). Sale ids have no dot, so the sale is everything
 * before the first dot (rules/input-rules.ts ORDER_ID).
 *
 * Batch id = <ms since epoch, base36> <tag> <process nonce> <counter>, joined by '-': unique (the nonce is
 * drawn once per module instance, so two processes or threads never share a (nonce, counter) pair) and
 * readable, but not secret — a batch id names no order.
 */
const NONCE = randomBytes(8).readBigUInt64BE().toString(36);
const COUNTER_WRAP = 36 ** 5;
let counter = 0;

const TAG_RE = /^[A-Za-z0-9_]{0,16}$/;

/** A default tag: pid and worker thread id, base36, e.g. "p1f3t2". */
export function defaultTag(): string {
  return `p${process.pid.toString(36)}t${threadId.toString(36)}`;
}

function unique(tag: string): string {
  if (!TAG_RE.test(tag)) throw new TypeError(`id tag ${JSON.stringify(tag)}: use up to 16 of [A-Za-z0-9_]`);
  counter = (counter + 1) % COUNTER_WRAP;
  return `${Date.now().toString(36)}-${tag}-${NONCE}-${counter.toString(36)}`;
}

const ORDER_ID_BYTES = 16;
const randomPool = Buffer.allocUnsafe(ORDER_ID_BYTES * 256);
let poolOffset = randomPool.length;

/** 128 unpredictable bits, base64url (22 characters). */
function randomToken(): string {
  if (poolOffset === randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  const token = randomPool.toString('base64url', poolOffset, poolOffset + ORDER_ID_BYTES);
  poolOffset += ORDER_ID_BYTES;
  return token;
}

export function newOrderId(saleId: string): string {
  if (!matches(SALE_ID, saleId)) throw new TypeError(`sale id ${JSON.stringify(saleId)}: use ${SALE_ID.shape}`);
  return `${saleId}.${randomToken()}`;
}

export function newBatchId(tag: string = defaultTag()): string {
  return unique(tag);
}
