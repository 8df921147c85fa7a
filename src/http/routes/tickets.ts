import { contentLengthOf, isJson, readBody } from '../body.js';
import { answerEngineError } from '../engine-errors.js';
import { readOwnOrder } from '../own-order.js';
import type { TicketPort } from '../ports.js';
import type { Reply } from '../reply.js';
import { checkOrderId, isRejection, parseJsonObject, reject, type Rejection } from '../request-rules.js';
import type { Route } from '../router.js';
import { parseTicket, TICKET_LIMITS } from '../../tickets/format.js';
import type { OrderStatus } from '../../sale/types.js';
import type { VerifyOutcome } from '../../tickets/signer.js';

/**
 * The business codes of POST /tickets/verify (HTTP 200): 1 the ticket is genuine and its order is paid now;
 * negative: why a gate must refuse it. A malformed ticket is a 400 instead (BAD_TICKET, BAD_TICKET_PAYLOAD).
 * One code for each outcome of the pool's signature check (VerifyOutcome: a new one does not compile until it
 * has its code here) and each of the order's.
 */
export const VERIFY_CODES = {
  valid: 1,
  unknown_key: -20,
  bad_signature: -21,
  not_paid: -22,
  unknown_order: -23,
} as const satisfies Record<VerifyOutcome | 'not_paid' | 'unknown_order', number>;

/** GET /tickets/{orderId} (and a check-in) of an order that is not paid: 409 with the order's own reason. */
export const NOT_PAID: Record<Exclude<OrderStatus, 'paid'>, Rejection> = {
  held: reject(409, 'ORDER_NOT_PAID', 'the order is not paid yet: a ticket is issued once it is paid'),
  cancelled: reject(409, 'ORDER_CANCELLED', 'the order was cancelled: it has no ticket'),
  expired: reject(409, 'HOLD_EXPIRED', 'the hold expired unpaid: it has no ticket'),
};

export const poolBusy = (reply: Reply, err: unknown) =>
  reply.unavailable('TICKETS_UNAVAILABLE', 'the ticket pool could not take the job (logged on this node); try again', undefined, err);

/**
 * GET /tickets/{orderId}: the paid order's ticket (signed again on demand: Ed25519 is deterministic, so it is
 * the ticket pay returned while the key is current), by the buyer rules of GET /orders/{id}.
 * POST /tickets/verify {"ticket": {...}}: for gates; signature and order status, see VERIFY_CODES.
 * GET /.well-known/ticket-keys: every public key that verifies, by kid (JWK members plus PEM), cacheable.
 * Signing and verifying run in the thread's piscina pool, never on the uWS thread.
 */
export function ticketRoutes(port: TicketPort): Route[] {
  return [
    {
      pattern: '/tickets/:orderId',
      get: (reply, req) => {
        const orderId = req.getParameter(0) ?? '';
        const authorization = req.getHeader('authorization');
        // uWS prefers this GET over /tickets/verify's 405 for any other method: answer that 405 here.
        if (orderId === 'verify' || orderId === 'check-in') return reply.error(reject(405, 'METHOD_NOT_ALLOWED', 'this path answers POST only'), [['Allow', 'POST']]);
        const bad = checkOrderId(orderId);
        if (bad !== null) return reply.error(bad);
        reply.settle(
          readOwnOrder(port.auth, (id) => port.getOrder(id), orderId, authorization),
          (order) => {
            if (order.status !== 'paid') return reply.error(NOT_PAID[order.status], undefined, { orderId, status: order.status });
            if (!reply.open) return;
            reply.settle(
              port.sign(order),
              (ticket) => reply.ok(1, 'ticket', { orderId, ticket }),
              (err) => poolBusy(reply, err),
            );
          },
          (err) => (isRejection(err) ? reply.error(err) : answerEngineError(reply, err, `order ${orderId}`)),
        );
      },
    },
    {
      pattern: '/tickets/verify',
      post: (reply, req) => {
        const contentType = req.getHeader('content-type');
        const contentLength = contentLengthOf(req);
        if (typeof contentLength !== 'string') return reply.error(contentLength, undefined, undefined, true);
        if (!isJson(contentType)) return reply.error(reject(415, 'UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/json'));
        readBody(reply, contentLength, Math.min(port.maxBodyBytes, TICKET_LIMITS.bodyBytes), (text) => {
          const body = parseJsonObject(text);
          if (isRejection(body)) return reply.error(body);
          const parsed = parseTicket(body['ticket']);
          if (!parsed.ok) return reply.error(reject(400, parsed.error, parsed.problem));
          const { orderId } = parsed.payload;
          const answer = (outcome: keyof typeof VERIFY_CODES, status?: OrderStatus) =>
            reply.ok(VERIFY_CODES[outcome], outcome, { ...parsed.payload, ...(status === undefined ? {} : { status }) });
          reply.settle(
            port.verify(parsed.ticket),
            (outcome) => {
              if (outcome !== 'valid') return answer(outcome);
              if (!reply.open) return;
              // A genuine ticket admits only while its order is paid (not refunded, cancelled or expired since).
              reply.settle(
                port.getOrder(orderId),
                (order) => (order === null ? answer('unknown_order') : answer(order.status === 'paid' ? 'valid' : 'not_paid', order.status)),
                (err) => answerEngineError(reply, err, `order ${orderId}`),
              );
            },
            (err) => poolBusy(reply, err),
          );
        });
      },
    },
    {
      pattern: '/.well-known/ticket-keys',
      get: (reply) => {
        // A JWK Set at the top level (not the {code,msg,data} envelope) so JOSE tooling reads it as is.
        reply.send(200, JSON.stringify({ keys: port.publicKeys() }), [['Cache-Control', 'public, max-age=60']]);
      },
    },
  ];
}
