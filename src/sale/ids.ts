import { randomBytes, randomFillSync } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import siphash24 from 'siphash24';
import { ID_KEY, SALE_ID, matches } from '../rules/input-rules.js';

/**
 * Ids made without coordination between processes, threads or hosts.
 *
 * Order id = "<saleId>.<22 characters>": 16 bytes, base64url. In the demo (no buyer authentication) the id is
 * the only capability to read, pay or cancel an order, so no number of other order ids may tell anything about
 * the next one. Random bytes are drawn 4 KiB at a time; a purchase then costs a slice, a hash and an encode
 * (bench/micro/order-ids.ts). Sale ids have no dot, so the sale is everything before the first dot
 * (rules/input-rules.ts ORDER_ID).
 *
 * Tagged ids (a sale with an idKey, SaleEngine.createSale): 12 bytes from the CSPRNG — 96 unpredictable bits,
 * DESIGN.md's minimum — then a 4-byte tag, the first 4 bytes of SipHash-2-4(idKey, those 12 bytes). The tag
 * lets a node tell an id it made from a made-up one without asking anyone (src/sale/order-lookup.ts): a
 * made-up suffix passes with probability 2^-32, and without the key no one can make one that passes.
 * SipHash is a keyed PRF built for short inputs: ~0.1 µs here, against ~1.4 µs for node:crypto's HMAC.
 * A legacy sale (created before tags, no idKey) keeps 16 random bytes and no check.
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

const TOKEN_BYTES = 16;
const RANDOM_BYTES = 12;
const TAG_BYTES = 4;
const TOKEN_CHARS = 22;
/** 16 bytes in 22 base64url characters leave the last character 4 unused bits: only these 4 are canonical. */
const CANONICAL_LAST = 'AQgw';
const randomPool = Buffer.allocUnsafe(TOKEN_BYTES * 256);
let poolOffset = randomPool.length;
const hashOut = new Uint8Array(8);

/** Decoded keys by their hex text: a purchase pays a Map lookup, not a hex decode (the text is the sale's own string). */
const keyCache = new Map<string, Uint8Array>();

function keyBytes(idKey: string): Uint8Array {
  let key = keyCache.get(idKey);
  if (key === undefined) {
    if (!matches(ID_KEY, idKey)) throw new TypeError(`order-id key: use ${ID_KEY.shape}`);
    if (keyCache.size >= 4096) keyCache.clear(); // far more than live sales; a cleared key is decoded again
    key = Buffer.from(idKey, 'hex');
    keyCache.set(idKey, key);
  }
  return key;
}

/** The first TAG_BYTES of SipHash-2-4(key, bytes[at .. at + RANDOM_BYTES)), into hashOut. */
function tagOf(bytes: Uint8Array, at: number, key: Uint8Array): Uint8Array {
  return siphash24(bytes.subarray(at, at + RANDOM_BYTES), key, hashOut, true);
}

/** 16 bytes, base64url (22 characters): all random (idKey null), or 12 random + the tag under idKey. */
function token(idKey: string | null): string {
  if (poolOffset === randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += TOKEN_BYTES;
  if (idKey !== null) {
    const tag = tagOf(randomPool, at, keyBytes(idKey));
    for (let i = 0; i < TAG_BYTES; i++) randomPool[at + RANDOM_BYTES + i] = tag[i]!;
  }
  return randomPool.toString('base64url', at, at + TOKEN_BYTES);
}

/** A new order id of the sale; `idKey` is the sale's (SaleInfo.idKey), null for a legacy sale. */
export function newOrderId(saleId: string, idKey: string | null = null): string {
  if (!matches(SALE_ID, saleId)) throw new TypeError(`sale id ${JSON.stringify(saleId)}: use ${SALE_ID.shape}`);
  return `${saleId}.${token(idKey)}`;
}

/**
 * Could newOrderId(sale, idKey) have made this id? Always true for a legacy sale (idKey null): its ids carry
 * no tag. Otherwise the part after the dot must be 22 canonical base64url characters whose last 4 bytes are
 * the tag of the first 12. No I/O: this is what lets a node answer a made-up id without asking PostgreSQL.
 */
export function orderIdTagValid(orderId: string, idKey: string | null): boolean {
  if (idKey === null) return true;
  const dot = orderId.indexOf('.');
  const suffix = dot < 0 ? '' : orderId.slice(dot + 1);
  if (suffix.length !== TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(suffix) || !CANONICAL_LAST.includes(suffix[TOKEN_CHARS - 1])) return false;
  const bytes = Buffer.from(suffix, 'base64url');
  if (bytes.length !== TOKEN_BYTES || !matches(ID_KEY, idKey)) return false;
  const tag = tagOf(bytes, 0, keyBytes(idKey));
  for (let i = 0; i < TAG_BYTES; i++) if (bytes[RANDOM_BYTES + i] !== tag[i]) return false;
  return true;
}

/** A new sale's order-id key: 16 bytes from the CSPRNG as hex (src/rules/input-rules.ts ID_KEY). */
export function newIdKey(): string {
  return randomBytes(16).toString('hex');
}

export function newBatchId(tag: string = defaultTag()): string {
  return unique(tag);
}
