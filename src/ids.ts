import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';

/**
 * Ids made without coordination between processes, threads or hosts.
 *
 * unique part = <ms since epoch, base36> <tag> <process nonce> <counter>, joined by '-', all in
 * [A-Za-z0-9_-] (never a dot). The nonce is 8 random bytes drawn once per module instance (each worker
 * thread loads its own), so two processes or threads never share a (nonce, counter) pair; the time keeps ids
 * roughly sortable and guards the counter's wrap. The tag only helps a human read the id.
 *
 * Order id = "<saleId>.<unique>": sale ids have no dot, so the sale is everything before the first dot.
 */
const NONCE = randomBytes(8).readBigUInt64BE().toString(36);
const COUNTER_WRAP = 36 ** 5;
let counter = 0;

export const SALE_ID_RE = /^[A-Za-z0-9_-]{1,48}$/;
const TAG_RE = /^[A-Za-z0-9_]{0,16}$/;
const UNIQUE_RE = /^[A-Za-z0-9_-]+$/;

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
  if (!SALE_ID_RE.test(saleId)) {
    throw new TypeError(`sale id ${JSON.stringify(saleId)}: use 1-48 of [A-Za-z0-9_-]`);
  }
  return `${saleId}.${unique(tag)}`;
}

export function newBatchId(tag: string = defaultTag()): string {
  return unique(tag);
}

/** The sale of an order id, or null when the id is not "<saleId>.<unique>". */
export function saleIdOfOrder(orderId: string): string | null {
  if (typeof orderId !== 'string' || orderId.length > 160) return null;
  const dot = orderId.indexOf('.');
  if (dot < 0) return null;
  const sale = orderId.slice(0, dot);
  const rest = orderId.slice(dot + 1);
  return SALE_ID_RE.test(sale) && UNIQUE_RE.test(rest) ? sale : null;
}
