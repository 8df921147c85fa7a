import type { HttpRequest } from 'uWebSockets.js';
import { retryAfterSeconds } from '../../sale/buyer-buckets.js';
import type { PurchaseAsk, PurchaseVerdict } from '../../sale/purchase-desk.js';
import type { PassRefusal } from '../../sale/queue-desk.js';
import { seatsOf } from '../../sale/train-catalogue.js';
import type { SeatItem, TripAsk } from '../../sale/trip.js';
import { contentLengthOf, isJson, readBody } from '../body.js';
import type { PurchasePort } from '../ports.js';
import type { Reply } from '../reply.js';
import { checkIdempotencyKey, checkRequestKey, checkSale, checkTripFields, checkUser, isRejection, parsePurchaseBody, reject, type Rejection } from '../request-rules.js';
import type { Route } from '../router.js';

/**
 * GET /buy/ticket?user=U&sale=S and POST /buy/ticket {"user","sale"} (+ Idempotency-Key): the hot path's
 * HTTP ends. Everything is copied from the request synchronously and checked here (an answer given later has
 * onAborted: the router registers it as the handler returns); the purchase itself is decided by the port
 * (src/sale/purchase-desk.ts) and its verdict answered inside cork by Reply.
 */
export function buyRoutes(port: PurchasePort): Route[] {
  return [
    {
      pattern: '/buy/ticket',
      get: (reply, req) => {
        const user = req.getQuery('user') ?? '';
        const sale = req.getQuery('sale') ?? '';
        // Read into locals, not a Keys object: this handler answers a sold-out crowd, allocation by allocation.
        const idempotencyKey = req.getHeader('idempotency-key');
        const requestKey = req.getHeader('x-request-key');
        const queuePass = req.getHeader('queue-pass');
        const authorization = port.auth.required ? req.getHeader('authorization') : '';
        // A train purchase names its stations; a counter purchase reads one query field more, not five.
        const from = req.getQuery('from');
        const trip = from === undefined ? undefined : checkTripFields(from, req.getQuery('to'), req.getQuery('class'), req.getQuery('seat'), req.getQuery('passengers'));
        const bad = checkUser(user) ?? (sale === '' ? null : checkSale(sale)) ?? checkKeys(idempotencyKey, requestKey) ?? (isRejection(trip) ? trip : null);
        if (bad !== null) return refuse(port, reply, bad);
        const saleId = sale === '' ? port.defaultSale : sale;
        const asked = trip as TripAsk | undefined;
        // Without buyer authentication the buyer is the `user` named: no closure, no wait (the common path).
        if (!port.auth.required) return buy(port, reply, user, saleId, idempotencyKey, requestKey, asked, queuePass);
        asBuyer(port, reply, authorization, user, (buyer) => buy(port, reply, buyer, saleId, idempotencyKey, requestKey, asked, queuePass));
      },
      post: (reply, req) => {
        const contentType = req.getHeader('content-type');
        const contentLength = contentLengthOf(req);
        const keys = keysOf(req);
        const authorization = port.auth.required ? req.getHeader('authorization') : '';
        if (typeof contentLength !== 'string') {
          port.refused();
          return reply.error(contentLength, undefined, undefined, true); // framing unknown: close the connection
        }
        if (!isJson(contentType)) {
          return refuse(port, reply, {
            status: 415,
            error: 'UNSUPPORTED_MEDIA_TYPE',
            msg: 'send Content-Type: application/json with a body like {"user":"u1","sale":"S1"}',
          });
        }
        if (isRejection(keys)) return refuse(port, reply, keys);
        readBody(reply, contentLength, port.maxBodyBytes, (text) => {
          const input = parsePurchaseBody(text, port.defaultSale);
          if (isRejection(input)) return refuse(port, reply, input);
          if (!port.auth.required) return buy(port, reply, input.user, input.sale, keys.idempotencyKey, keys.requestKey, input.trip, keys.queuePass);
          asBuyer(port, reply, authorization, input.user, (buyer) => buy(port, reply, buyer, input.sale, keys.idempotencyKey, keys.requestKey, input.trip, keys.queuePass));
        });
      },
    },
  ];
}

interface Keys {
  /** The buyer's own Idempotency-Key: one purchase, in one sale. */
  idempotencyKey: string;
  /** nginx's key for this one request (X-Request-Key: $request_id): its retry on another node replays. */
  requestKey: string;
  /** A waiting room's purchase pass (src/sale/queue-desk.ts), checked by the desk against the sale. */
  queuePass: string;
}

function keysOf(req: HttpRequest): Keys | Rejection {
  const idempotencyKey = req.getHeader('idempotency-key');
  const requestKey = req.getHeader('x-request-key');
  return checkKeys(idempotencyKey, requestKey) ?? { idempotencyKey, requestKey, queuePass: req.getHeader('queue-pass') };
}

function checkKeys(idempotencyKey: string, requestKey: string): Rejection | null {
  return checkIdempotencyKey(idempotencyKey) ?? checkRequestKey(requestKey);
}

function refuse(port: PurchasePort, reply: Reply, rejection: Rejection): void {
  port.refused();
  reply.error(rejection);
}

/**
 * The buyer of a purchase with buyer authentication on: its token's sub — a `user` in the request must then be
 * the same buyer (or be left out). Without it (the demo) the buyer is the `user` named, decided inline.
 */
function asBuyer(port: PurchasePort, reply: Reply, authorization: string, user: string, go: (buyer: string) => void): void {
  reply.settle(
    port.auth.buyerOf(authorization),
    (buyer) => {
      if (user !== '' && user !== buyer) {
        return refuse(port, reply, reject(403, 'USER_MISMATCH', `the request names user ${user}, but the token is another buyer's: leave user out or send your own`));
      }
      go(buyer);
    },
    (rejection: unknown) => refuse(port, reply, isRejection(rejection) ? rejection : reject(401, 'TOKEN_INVALID', String(rejection))),
  );
}

function buy(port: PurchasePort, reply: Reply, user: string, saleId: string, idempotencyKey: string, requestKey: string, trip: TripAsk | undefined, queuePass: string): void {
  const ask: PurchaseAsk = { saleId, user, idempotencyKey, requestKey, buyerProven: port.auth.required, client: reply, queuePass };
  if (trip !== undefined) ask.trip = trip;
  port.buy(ask, (verdict) => answerGuarded(port, reply, verdict));
}

/** The batcher calls back from its own continuation: a throw here must not escape into it (Reply.guard, inline). */
function answerGuarded(port: PurchasePort, reply: Reply, verdict: PurchaseVerdict): void {
  try {
    port.counted(verdict);
    answer(reply, verdict);
  } catch (err) {
    reply.internal(err);
  }
}

/** One verdict, one answer. Business outcomes are HTTP 200 with a code (1, -1, -2, -3); errors use the status. */
export function answer(reply: Reply, v: PurchaseVerdict): void {
  switch (v.kind) {
    case 'success':
      // The common answer, written without JSON.stringify: an order id is [A-Za-z0-9_.-] only (ORDER_ID), so it
      // needs no escaping; test/integration/buyer-contract.test.ts parses it like any other answer.
      if (v.seats !== undefined) return business(reply, 1, v.replayed ? `replayed: your order is ${v.status}` : 'success', trainOrder(v, v.seats));
      if (!v.replayed) {
        const body = `{"code":1,"msg":"success","data":{"orderId":"${v.orderId}","expiresAt":${v.expiresAt},"status":"${v.status}","replayed":false}}`;
        return reply.send(200, body.padEnd(PURCHASE_ANSWER_BYTES));
      }
      // archived: the order is final and has left Redis (retired to PostgreSQL); GET /orders/{id} tells its state.
      return business(reply, 1, v.replayed ? `replayed: your order is ${v.status}` : 'success', {
        orderId: v.orderId,
        expiresAt: v.expiresAt,
        status: v.status,
        replayed: v.replayed,
      });
    case 'replayed_final':
      return reply.error(
        {
          status: 409,
          error: v.status === 'cancelled' ? 'ORDER_CANCELLED' : 'HOLD_EXPIRED',
          msg: `this purchase was already made: order ${v.orderId}, which ${v.status === 'cancelled' ? 'was cancelled' : 'expired unpaid'}; ${
            v.sale.queue === null ? 'to buy again send a new Idempotency-Key' : 'a waiting-room pass buys one order'
          }`,
        },
        undefined,
        { orderId: v.orderId, status: v.status, replayed: true },
      );
    case 'sold_out':
      if (v.trip !== undefined) {
        return business(reply, -1, `sold out from ${v.trip.from} to ${v.trip.to} in ${v.trip.class}`, { from: v.trip.from, to: v.trip.to, class: v.trip.class });
      }
      return reply.send(200, SOLD_OUT_BODY);
    case 'bad_trip':
      return reply.error({ status: 400, error: 'BAD_TRIP', msg: v.problem });
    case 'limit':
      // Without the order's Idempotency-Key (or a proven buyer) the order itself is not shown: a name is no secret.
      if (v.holdsOne === true) return reply.send(200, HOLDS_ONE_BODY);
      return business(reply, -2, `limit reached: at most ${v.sale.perUserLimit} per user`);
    case 'not_open':
      return reply.send(200, NOT_OPEN_BODY);
    case 'no_pass':
      return business(reply, -3, NO_PASS_MSG[v.reason].replace('{sale}', v.sale.id));
    case 'user_required':
      return reply.error({
        status: 400,
        error: 'USER_REQUIRED',
        msg: `sale ${v.sale.id} needs a buyer: send user=<1-64 characters of A-Z a-z 0-9 _ . : @ ->`,
      });
    case 'unknown_sale':
      return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `no sale ${v.saleId}: check the sale id (GET /sales/{id})` });
    case 'key_in_flight':
      return reply.error({
        status: 409,
        error: 'IDEMPOTENCY_KEY_IN_FLIGHT',
        msg: 'a purchase with this Idempotency-Key is still in flight: wait for its answer, then retry with the same key',
      });
    case 'key_reused':
      return reply.error({
        status: 422,
        error: 'IDEMPOTENCY_KEY_REUSED',
        msg:
          v.otherSale === undefined
            ? 'this Idempotency-Key is already recorded for another buyer: a key belongs to one buyer; use a new key'
            : `this Idempotency-Key already names your purchase in sale ${v.otherSale}: one key, one purchase; use a new key to buy in sale ${v.sale.id}`,
      });
    case 'shutting_down':
      return reply.unavailable('SHUTTING_DOWN', 'this node is shutting down; retry (another node will answer)');
    // The reasons (an ioredis message, a deadline) stay out of the body: counted in /metrics and the stat log.
    case 'lookup_failed':
      return reply.unavailable('REDIS_UNAVAILABLE', `could not look up sale ${v.saleId}: Redis did not answer; retry shortly`);
    case 'undecided':
      return reply.unavailable(
        'OUTCOME_UNKNOWN',
        `Redis did not confirm the purchase in time; check GET /orders/${v.orderId} or retry with the same Idempotency-Key`,
        { orderId: v.orderId },
      );
    case 'unexpected':
      return reply.unavailable('UNEXPECTED_OUTCOME', 'Redis answered in a way this node does not know (logged); retry', { orderId: v.orderId }, v.outcome);
    case 'rate_limited': {
      const seconds = retryAfterSeconds(v.waitUs);
      return reply.error(
        { status: 429, error: 'RATE_LIMITED', msg: `too many purchases from this buyer: retry in ${seconds} s (the same Idempotency-Key still gets the same order)` },
        [['Retry-After', String(seconds)]],
        { limit: 'buyer', retryAfterMs: Math.ceil(v.waitUs / 1000) },
      );
    }
    case 'abandoned':
      return; // the buyer left; Reply would not write anyway
    default:
      // Unreachable while every kind has its case (the compiler checks `v` is never here); a kind added without
      // one still gets an answer instead of a request left hanging.
      return reply.internal(new Error(`no answer for purchase verdict ${JSON.stringify(v satisfies never)}`));
  }
}

/** A train order's answer: the order and its seats as the catalogue names them (coach, seat, from, to). */
function trainOrder(v: Extract<PurchaseVerdict, { kind: 'success' }>, item: SeatItem): unknown {
  const seats = v.sale.train === null ? null : seatsOf(v.sale.train, item);
  return { orderId: v.orderId, expiresAt: v.expiresAt, status: v.status, replayed: v.replayed, seats };
}

function business(reply: Reply, code: number, msg: string, data?: unknown): void {
  reply.ok(code, msg, data, PURCHASE_ANSWER_BYTES);
}

/**
 * Every purchase answer (success, sold out, limit, not open) has the same length: ab — the article's load
 * tool — counts an answer whose length differs from the first one as "Failed (Length)", so without this
 * `ab -n 10000 -c 100 .../buy/ticket` reports thousands of failures for answers that are all complete.
 * 200 bytes holds the longest answer (a 48-character sale id makes an ~80-character order id; body ~180).
 */
export const PURCHASE_ANSWER_BYTES = 200;

/** The answers that carry nothing of the buyer's, built once: after a sell-out nearly every answer is one. */
const SOLD_OUT_BODY = businessBody(-1, 'sold out');
const NOT_OPEN_BODY = businessBody(-3, 'the sale is not open');
/** A sale with a waiting room: what to do without a valid pass (the pass comes from GET /queue/{sale}/status). */
const NO_PASS_MSG: Record<PassRefusal, string> = {
  missing: 'this sale has a waiting room: join it (POST /queue/{sale}/join) and buy with the pass it gives you (header Queue-Pass)',
  invalid: 'the Queue-Pass is not a pass of this sale: join its waiting room (POST /queue/{sale}/join) and use the pass it gives you',
  other_buyer: "the Queue-Pass is another buyer's: a pass buys only for the buyer who waited for it",
  expired: 'your Queue-Pass expired: your turn in the waiting room has passed',
};
const HOLDS_ONE_BODY = businessBody(-2, 'limit reached: you already hold an order in this sale (send its Idempotency-Key to see it)');

function businessBody(code: number, msg: string): string {
  return JSON.stringify({ code, msg, data: null }).padEnd(PURCHASE_ANSWER_BYTES);
}
