import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { SALE_ID, matches } from '../rules/input-rules.js';

/**
 * Ids made without coordination between processes, threads or hosts.
 *
 * unique part = <ms since epoch, base36> <tag> <process nonce> <counter>, joined by '-', all in
 * [A-Za-z0-9_-] (never a dot). The nonce is 8 random bytes drawn once per module instance (each worker
 * thread loads its own), so two processes or threads never share a (nonce, counter) pair; the time keeps ids
 * roughly sortable and guards the counter's wrap. The tag only helps a human read the id.
 *
 * Order id = "<saleId>.<unique>" (rules/input-rules.ts ORDER_ID): sale ids have no dot, so the sale is
 * everything before the first dot.
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

export function newOrderId(saleId: string, tag: string = defaultTag()): string {
  if (!matches(SALE_ID, saleId)) throw new TypeError(`sale id ${JSON.stringify(saleId)}: use ${SALE_ID.shape}`);
  return `${saleId}.${unique(tag)}`;
}

export function newBatchId(tag: string = defaultTag()): string {
  return unique(tag);
}
