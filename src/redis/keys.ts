import { EngineError } from './codes.js';
import { SALE_ID, matches } from '../rules/input-rules.js';

/**
 * Every Redis key of ticket-spike is built here and nowhere else.
 *
 * All keys of one sale share the hash tag {sale:<id>}, so they live in one Cluster slot and every script
 * (which names all its keys in KEYS) runs on Redis Cluster:
 *
 *   {sale:S}:meta           hash   total perUserLimit holdSeconds opensAt closesAt anonymous held paid createdAt
 *                                  ordersMade retiredPaid retiredCancelled retiredExpired paused checkedIn idKey (the key of
 *                                  the tag in the sale's order ids, src/sale/ids.ts; absent for a legacy sale) holderLog
 *   {sale:S}:holders        hash   user -> "n|latestOrderId"  (n = the user's held + paid orders)
 *   {sale:S}:orders         hash   orderId -> "status|expiresAt|createdAt|paidAt|userLen|<user><idemKey>"
 *   {sale:S}:idem           hash   "<user> <key>" -> "orderId|user", "orderId|user|p|c|e" once the order retired
 *   {sale:S}:idemdue        zset   idempotency records of retired orders kept for their window -> when they go (ms)
 *   {sale:S}:deadlines      zset   one member per batch with new holds: its stream entry id ("<id>/<k>" once
 *                                  a sweep has passed its first k orders), scored by the holds' deadline (ms)
 *   {sale:S}:stream         stream one entry per batch with new holds: b <batchId> <orderId> <user> ...,
 *                                  and one per lifecycle change: ev paid|cancelled|expired <orderId> <user> ...
 *   {sale:S}:mayhold        list   who may hold something: per new hold its user (if any) and its idempotency record's
 *                                  field "<user> <key>" (if any), appended by reserve-batch; a sold-out node reads it
 *                                  from where it left off (lua/holder-log-4.lua). meta holderLog=1: kept since create
 *   {sale:S}:seats          hash   a train sale's seats: seat index -> occupancy, one character per segment ('1' sold or held)
 *   {sale:S}:free           zset   a train sale's free stretches, "<class>|<kind>|<len>|<from>|<seat>" (lua/includes/seats.lua)
 *   {sale:S}:stretch        hash   "<class>|<kind>" -> JSON counts of seats per maximal free stretch (the F table)
 *   {sale:S}:items          hash   a train order's seats: orderId -> "<from>|<to>|<seat>,<seat>,..."
 *   {sale:S}:checkins       hash   orderId -> "<checkedInAt ms>|<gate>": tickets a gate admitted (kept for good:
 *                                  the order's own record leaves Redis once final, the check-in must not)
 *   {sale:S}:paysig:<hex>   string a signed payment callback that paid an order -> that order id, EX 600 (written by
 *                                  the pay script itself, so a callback whose pay did not happen is accepted again)
 *   {sale:S}:batch:<id>     string sha1(orderIds) + stored reply of a decided batch, EX 600 s
 *   ts:sales                set    sale ids, for discovery (another slot: written outside the scripts)
 *   {ts:registry}:places    zset   the places of the sale registry: sale id -> releaseAt (ms; closesAt + the
 *                                  registry grace, or +inf for a sale that never closes). A member whose score
 *                                  has passed by Redis's clock is a finished sale: it is pruned, its place free
 *   {ts:registry}:capacity  string how many places there are (set once, from the first --max-sales offered;
 *                                  every node's --max-sales must be at least this)
 *   ts:idemkey:<user> <key> string the sale a buyer's Idempotency-Key names a purchase in, EX 86400 (the key's
 *                                  window): one key, one purchase, across sales
 *   {ts:dash}:nodes         hash   node id -> the node's latest dashboard heartbeat (JSON with its own `at`),
 *                                  written by each node's main thread every --dashboard-ms; the key expires
 *                                  when no node has written for DASHBOARD_KEEP_MS, a field older is pruned
 *   {ts:nodes}:roster       hash   node id -> "<weight> <expiresAt ms> <host:port>": the live nodes and their
 *                                  weights (src/redis/node-roster.ts, every --roster-ms; an entry counts
 *                                  until expiresAt by Redis TIME, is removed a minute after); the weighted
 *                                  split sums it, `ticket-spike nginx-conf --from-roster` lists it
 *   {ts:nodes}:weights      hash   node id -> the weight an operator set for it (`ticket-spike nodes weight`),
 *                                  in effect at the node's next beat instead of its --weight
 */
export const SALES_SET = 'ts:sales';

/** The sale registry's two keys share the hash tag {ts:registry}: lua/reserve-place-2.lua runs on Cluster. */
export const REGISTRY = { places: '{ts:registry}:places', capacity: '{ts:registry}:capacity' } as const;

/** The live dashboard's heartbeats of every node (src/redis/node-beats.ts). */
export const DASHBOARD_NODES = '{ts:dash}:nodes';

/** The node roster's two keys share the hash tag {ts:nodes}: one slot on Cluster, so a beat is one pipeline to one node. */
export const NODE_ROSTER = { members: '{ts:nodes}:roster', weights: '{ts:nodes}:weights' } as const;

export interface SaleKeys {
  meta: string;
  holders: string;
  orders: string;
  idem: string;
  idemDue: string;
  deadlines: string;
  stream: string;
  checkins: string;
  mayHold: string;
  /** A train sale's seat book (lua/includes/seats.lua) and its orders' seats. */
  seats: string;
  free: string;
  stretch: string;
  items: string;
  /**
   * A waiting room's line (lua/queue-join-4.lua, lua/queue-tick-6.lua): its state hash, who joined (user ->
   * arrival), the places polled lately as the nodes saw them (two bitmaps: this epoch's reports and the last one's), the serving position and admissions per
   * second (for 'auto', and to date recent turns) and the places admitted (a bitmap: a passed place without its
   * bit was skipped).
   */
  queue: string;
  queueJoins: string;
  queueLiveEven: string;
  queueLiveOdd: string;
  queueHistory: string;
  queueAdmitted: string;
}

/** The HMAC key every node signs queue tokens and purchase passes with: made once by the first node (SET NX). */
export const QUEUE_SECRET = '{ts:queue}:secret';

export function assertSaleId(saleId: string): void {
  if (!matches(SALE_ID, saleId)) {
    throw new EngineError('ERR_INVALID_ARGUMENT', `sale id ${JSON.stringify(saleId)} is invalid: use ${SALE_ID.shape}`, 'saleId');
  }
}

export function saleTag(saleId: string): string {
  assertSaleId(saleId);
  return `{sale:${saleId}}`;
}

export function saleKeys(saleId: string): SaleKeys {
  const tag = saleTag(saleId);
  return {
    meta: `${tag}:meta`,
    holders: `${tag}:holders`,
    orders: `${tag}:orders`,
    idem: `${tag}:idem`,
    idemDue: `${tag}:idemdue`,
    deadlines: `${tag}:deadlines`,
    stream: `${tag}:stream`,
    checkins: `${tag}:checkins`,
    mayHold: `${tag}:mayhold`,
    seats: `${tag}:seats`,
    free: `${tag}:free`,
    stretch: `${tag}:stretch`,
    items: `${tag}:items`,
    queue: `${tag}:queue`,
    queueJoins: `${tag}:qjoin`,
    queueLiveEven: `${tag}:qlive0`,
    queueLiveOdd: `${tag}:qlive1`,
    queueHistory: `${tag}:qhist`,
    queueAdmitted: `${tag}:qadm`,
  };
}

export function batchKey(saleId: string, batchId: string): string {
  return `${saleTag(saleId)}:batch:${batchId}`;
}

/**
 * A signed payment callback that paid an order of this sale (the pay script writes it when it pays). `null`:
 * the call carries no signature (the admin token, the demo) — a key of the sale's slot that is never written.
 */
export function paymentSignatureKey(saleId: string, signatureHex: string | null): string {
  if (signatureHex === null) return `${saleTag(saleId)}:paysig:-`;
  if (!/^[0-9a-f]{64}$/.test(signatureHex)) {
    throw new EngineError('ERR_INVALID_ARGUMENT', 'a payment signature is 64 hex characters', 'signature');
  }
  return `${saleTag(saleId)}:paysig:${signatureHex}`;
}

/** The claim of a buyer's Idempotency-Key across sales. Users and keys have no space: the pair is unambiguous. */
export function buyerKeyClaim(user: string, idempotencyKey: string): string {
  return `ts:idemkey:${user} ${idempotencyKey}`;
}
