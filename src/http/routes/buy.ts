import type { HttpRequest } from 'uWebSockets.js';
import { newOrderId } from '../../ids.js';
import { Outcome, type PurchaseResult } from '../../redis/engine.js';
import type { ReserveOutcome } from '../../redis/batcher.js';
import type { OutcomeName } from '../../metrics/layout.js';
import { clampFromReply } from '../../node/reconciler.js';
import type { SaleInfo } from '../../node/messages.js';
import type { ThreadContext } from '../../node/thread-context.js';
import { isJson, readBody } from '../body.js';
import type { Reply } from '../respond.js';
import type { Route } from '../router.js';
import { checkIdempotencyKey, checkSale, checkUser, isRejection, parsePurchaseBody, type Rejection } from '../validate.js';

/**
 * The hot path: GET /buy/ticket?user=U&sale=S and POST /buy/ticket {"user","sale"} (+ Idempotency-Key).
 *
 *  1. copy everything from req synchronously, validate (Reply registered onAborted already)
 *  2. closed or known sold out -> answer at once, no Redis
 *  3. one CAS take of the node's quota (partition = this thread)
 *  4. batcher.reserve -> one EVALSHA per batch
 *  5. answer inside cork (Reply.send); settle the unit:
 *       new success -> keep it; anything else -> give it back (sold out: then clamp the quota to the reply)
 */
export function buyRoutes(ctx: ThreadContext): Route[] {
  return [
    {
      pattern: '/buy/ticket',
      get: (reply, req) => {
        const user = req.getQuery('user') ?? '';
        const sale = req.getQuery('sale') ?? '';
        const key = req.getHeader('idempotency-key');
        const bad = checkUser(user) ?? (sale === '' ? null : checkSale(sale)) ?? checkIdempotencyKey(key);
        if (bad !== null) return rejectPurchase(ctx, reply, bad);
        purchase(ctx, reply, user, sale === '' ? ctx.config.defaultSale : sale, key);
      },
      post: (reply, req: HttpRequest) => {
        const contentType = req.getHeader('content-type');
        const contentLength = req.getHeader('content-length');
        const key = req.getHeader('idempotency-key');
        if (!isJson(contentType)) {
          return rejectPurchase(ctx, reply, {
            status: 415,
            error: 'UNSUPPORTED_MEDIA_TYPE',
            msg: 'send Content-Type: application/json with a body like {"user":"u1","sale":"S1"}',
          });
        }
        const badKey = checkIdempotencyKey(key);
        if (badKey !== null) return rejectPurchase(ctx, reply, badKey);
        readBody(reply, contentLength, ctx.config.maxBodyBytes, (text) => {
          const input = parsePurchaseBody(text, ctx.config.defaultSale);
          if (isRejection(input)) return rejectPurchase(ctx, reply, input);
          purchase(ctx, reply, input.user, input.sale, key);
        });
      },
    },
  ];
}

function rejectPurchase(ctx: ThreadContext, reply: Reply, rejection: Rejection): void {
  ctx.counters.outcome('bad_request');
  reply.error(rejection);
}

function purchase(ctx: ThreadContext, reply: Reply, user: string, saleId: string, key: string): void {
  const known = ctx.sales.get(saleId);
  if (known !== undefined) return decide(ctx, reply, known, user, key);
  // Unknown here: ask the main thread (it reads Redis at most once per id per second).
  ctx.begin();
  ctx.findSale(saleId, (sale, error) => {
    ctx.end();
    if (error !== undefined) {
      ctx.counters.outcome('unavailable');
      return reply.unavailable('REDIS_UNAVAILABLE', `could not look up sale ${saleId} (${error}); retry shortly`);
    }
    if (sale === null) {
      ctx.counters.outcome('unknown_sale');
      return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `no sale ${saleId}: check the sale id (GET /sales/{id})` });
    }
    decide(ctx, reply, sale, user, key);
  });
}

function decide(ctx: ThreadContext, reply: Reply, sale: SaleInfo, user: string, key: string): void {
  if (!reply.open) return; // the client left while we looked the sale up; nothing taken yet
  if (ctx.draining) {
    ctx.counters.outcome('unavailable');
    return reply.unavailable('SHUTTING_DOWN', 'this node is shutting down; retry (another node will answer)');
  }
  if (user === '' && !sale.anonymous) {
    return rejectPurchase(ctx, reply, {
      status: 400,
      error: 'USER_REQUIRED',
      msg: `sale ${sale.id} needs a buyer: send user=<1-64 characters of A-Z a-z 0-9 _ . : @ ->`,
    });
  }
  const slot = sale.slot;
  const stock = ctx.stock;
  // Closed by its time window (this node's clock; Redis' clock decides at the edges, so a request that looks
  // open here still goes to Redis and may come back -3).
  const now = Date.now();
  if ((sale.opensAt !== null && now < sale.opensAt) || (sale.closesAt !== null && now >= sale.closesAt)) {
    return answer(ctx, reply, sale, 'not_open', Outcome.NotOpen, 'the sale is not open', undefined);
  }
  if (stock.isSoldOut(slot)) {
    return answer(ctx, reply, sale, 'sold_out', Outcome.SoldOut, 'sold out', undefined);
  }
  const scopedKey = key === '' ? '' : `${sale.id}\n${key}`;
  if (scopedKey !== '' && ctx.keysInFlight.has(scopedKey)) {
    ctx.counters.outcome('conflict');
    return reply.error({
      status: 409,
      error: 'IDEMPOTENCY_KEY_IN_FLIGHT',
      msg: 'a purchase with this Idempotency-Key is still in flight: wait for its answer, then retry with the same key',
    });
  }
  // One CAS on the shared buffer: no lock, no message. false = this node's quota is used up right now.
  if (!stock.take(slot, ctx.index)) {
    return answer(ctx, reply, sale, 'sold_out', Outcome.SoldOut, 'sold out', undefined);
  }
  ctx.inFlight.add(slot);
  if (scopedKey !== '') ctx.keysInFlight.add(scopedKey);
  const orderId = newOrderId(sale.id, `t${ctx.index}`);
  const request = key === '' ? { orderId, user } : { orderId, user, idempotencyKey: key };
  ctx.begin();
  ctx.batcher.reserve(sale.id, request).then(
    (outcome) => settle(ctx, reply, sale, orderId, scopedKey, outcome),
    (err: unknown) =>
      settle(ctx, reply, sale, orderId, scopedKey, { outcome: 'unknown', orderId, reason: (err as Error).message }),
  );
}

/** Unit bookkeeping and the answer, once Redis has decided (or the deadline passed). */
function settle(
  ctx: ThreadContext,
  reply: Reply,
  sale: SaleInfo,
  orderId: string,
  scopedKey: string,
  outcome: ReserveOutcome,
): void {
  const slot = sale.slot;
  const stock = ctx.stock;
  if (scopedKey !== '') ctx.keysInFlight.delete(scopedKey);
  try {
    if (outcome.outcome === 'unknown') {
      // Not a failure for sure: the script may have run. Give the unit back (Redis stays the authority, an
      // extra local unit only costs a doomed call) and tell the client where to look.
      stock.give(slot, ctx.index);
      ctx.inFlight.done(slot);
      ctx.counters.outcome('unavailable');
      ctx.statLog?.record(sale.id, 'unknown', orderId, stock.available(slot));
      reply.unavailable(
        'OUTCOME_UNKNOWN',
        `Redis did not confirm the purchase (${outcome.reason}); check GET /orders/${orderId} or retry with the same Idempotency-Key`,
        { orderId },
      );
      return;
    }
    const result = outcome as PurchaseResult;
    const keep = result.outcome === Outcome.Success && result.replayed !== true;
    if (!keep) stock.give(slot, ctx.index);
    ctx.inFlight.done(slot);
    const remaining = ctx.engine.lastRemaining.get(sale.id);
    if (result.outcome === Outcome.SoldOut) {
      stock.setSoldOut(slot, true);
      clampFromReply(stock, slot, remaining ?? 0, ctx.config);
    } else if (remaining !== undefined) {
      clampFromReply(stock, slot, remaining, ctx.config);
    }
    switch (result.outcome) {
      case Outcome.Success: {
        const data = { orderId: result.orderId, expiresAt: result.expiresAt, replayed: result.replayed === true };
        return answer(ctx, reply, sale, result.replayed === true ? 'replayed' : 'success', Outcome.Success, 'success', data);
      }
      case Outcome.SoldOut:
        return answer(ctx, reply, sale, 'sold_out', Outcome.SoldOut, 'sold out', undefined);
      case Outcome.LimitReached:
        return answer(ctx, reply, sale, 'limit', Outcome.LimitReached, `limit reached: at most ${sale.perUserLimit} per user`, undefined);
      case Outcome.NotOpen:
        return answer(ctx, reply, sale, 'not_open', Outcome.NotOpen, 'the sale is not open', undefined);
      case Outcome.IdempotencyMismatch:
        ctx.counters.outcome('mismatch');
        ctx.statLog?.record(sale.id, 'mismatch', undefined, stock.available(slot));
        return reply.error({
          status: 422,
          error: 'IDEMPOTENCY_KEY_REUSED',
          msg: 'this Idempotency-Key was used for a different request (another user or sale): use a new key for a new purchase',
        });
      case Outcome.AnonymousNotAllowed:
        return rejectPurchase(ctx, reply, {
          status: 400,
          error: 'USER_REQUIRED',
          msg: `sale ${sale.id} needs a buyer: send user=<1-64 characters of A-Z a-z 0-9 _ . : @ ->`,
        });
      case Outcome.UnknownSale:
        ctx.counters.outcome('unknown_sale');
        return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `no sale ${sale.id}: check the sale id` });
      default:
        ctx.counters.outcome('unavailable');
        return reply.unavailable('UNEXPECTED_OUTCOME', `unexpected outcome ${String(result.outcome)}; retry`, { orderId });
    }
  } finally {
    ctx.end();
  }
}

function answer(
  ctx: ThreadContext,
  reply: Reply,
  sale: SaleInfo,
  outcome: OutcomeName,
  code: Outcome,
  msg: string,
  data: unknown,
): void {
  ctx.counters.outcome(outcome);
  const orderId = (data as { orderId?: string } | undefined)?.orderId;
  ctx.statLog?.record(sale.id, outcome, orderId, ctx.stock.available(sale.slot));
  reply.ok(code, msg, data, PURCHASE_ANSWER_BYTES);
}

/**
 * Every purchase answer (success, sold out, limit, not open) has the same length: ab — the article's load
 * tool — counts an answer whose length differs from the first one as "Failed (Length)", so without this
 * `ab -n 10000 -c 100 .../buy/ticket` reports thousands of failures for answers that are all complete.
 * 200 bytes holds the longest answer (a 48-character sale id makes an ~80-character order id; body ~180).
 */
export const PURCHASE_ANSWER_BYTES = 200;
