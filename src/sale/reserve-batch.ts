import { buyerKeyClaim, batchKey, saleKeys } from '../redis/keys.js';
import { EngineError, Outcome, ScriptCode, errorFromCode } from '../redis/codes.js';
import { parseBatchReply } from './batch-reply.js';
import { IDEMPOTENCY_KEY_WINDOW_SECONDS } from './key-claims.js';
import { tripItem } from './trip.js';
import type { BatchReply, PurchaseRequest } from './types.js';

/** How long a decided batch is kept for replays (ioredis re-sends after a reconnect within seconds). */
export const BATCH_RECORD_TTL = 600;

/**
 * lua/reserve-batch-12.lua's arguments, in the order its header lists them. `claimHere`: the script reads and
 * binds the buyers' key claims itself (standalone Redis, where they share the server); false passes none
 * (Cluster: the claims live in other slots, src/sale/batch-authority.ts).
 */
export function reserveBatchArgs(saleId: string, batchId: string, purchases: readonly PurchaseRequest[], claimHere: boolean): (string | number)[] {
  const k = saleKeys(saleId);
  const args: (string | number)[] = [
    k.meta, k.holders, k.orders, k.idem, k.deadlines, k.stream, batchKey(saleId, batchId), k.mayHold, k.seats, k.free, k.stretch, k.items,
    saleId, batchId, BATCH_RECORD_TTL, purchases.length,
  ];
  const claims: (string | number)[] = [];
  purchases.forEach((p, i) => {
    args.push(p.orderId, p.user, p.idempotencyKey || p.requestKey || '');
    if (claimHere && p.idempotencyKey) claims.push(i, buyerKeyClaim(p.user, p.idempotencyKey));
  });
  args.push(IDEMPOTENCY_KEY_WINDOW_SECONDS, claims.length / 2, ...claims);
  // A train sale's purchases each say what they ask for; a counter sale's say nothing (src/sale/trip.ts).
  if (purchases[0].trip !== undefined) for (const p of purchases) args.push(tripItem(p.trip!));
  return args;
}

export function isErrorTuple(reply: unknown): reply is [ScriptCode, string] {
  return Array.isArray(reply) && typeof reply[0] === 'number' && reply[0] < 0 && reply.length === 2;
}

export function unexpectedReply(subject: string, reply: unknown): EngineError {
  return new EngineError('ERR_UNEXPECTED_REPLY', `${subject}: unexpected reply ${JSON.stringify(reply)}`);
}

/** The script's reply, typed: a decided batch, every purchase UnknownSale, or a thrown EngineError. */
export function readReserveReply(saleId: string, purchases: PurchaseRequest[], reply: unknown): BatchReply {
  if (typeof reply === 'string') return parseBatchReply(reply, purchases);
  if (isErrorTuple(reply)) {
    if (reply[0] === ScriptCode.UnknownSale) {
      return { remaining: 0, ordersMade: 0, results: purchases.map(() => ({ outcome: Outcome.UnknownSale, remaining: 0, ordersMade: 0 })) };
    }
    throw errorFromCode(reply[0], reply[1], `reserve on sale ${saleId}`);
  }
  throw unexpectedReply(`reserve on sale ${saleId}`, reply);
}
