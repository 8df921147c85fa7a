import { bearerMatches } from '../bearer.js';
import { contentLengthOf, readBody } from '../body.js';
import { answerEngineError } from '../engine-errors.js';
import type { OrderPort } from '../ports.js';
import type { Reply } from '../reply.js';
import { readOwnOrder } from '../own-order.js';
import { checkOrderId, isRejection, reject } from '../request-rules.js';
import type { Route } from '../router.js';
import { checkPaymentSignature } from '../../auth/payment-signature.js';
import { paymentOutcome, payRefusal } from './pay-outcome.js';

/**
 * GET /orders/{id}; POST /orders/{id}/pay (answers the order with its signed e-ticket); POST /orders/{id}/cancel.
 *
 * In the demo (no buyer authentication) the order id is the capability: 96+ random bits nobody can guess. With
 * buyer authentication on, an order is read and cancelled only by its buyer (403 for anyone else), and paying
 * is the payment system's call — a Payment-Signature over the order and the body, or the admin token — never
 * the buyer's, who could otherwise take a ticket without paying.
 */
export function orderRoutes(port: OrderPort): Route[] {
  const run = (reply: Reply, orderId: string, work: () => Promise<void>) => {
    const bad = checkOrderId(orderId);
    if (bad !== null) return reply.error(bad);
    // work answers by itself; what reaches here is its refusal (a Rejection) or the engine's error.
    reply.settle(work(), () => undefined, (err) => (isRejection(err) ? reply.error(err) : answerEngineError(reply, err, `order ${orderId}`)));
  };
  const ownOrder = (orderId: string, authorization: string) => readOwnOrder(port.auth, (id) => port.getOrder(id), orderId, authorization);
  return [
    {
      pattern: '/orders/:id',
      get: (reply, req) => {
        const orderId = req.getParameter(0) ?? '';
        const authorization = req.getHeader('authorization');
        run(reply, orderId, async () => {
          const order = await ownOrder(orderId, authorization);
          reply.ok(1, order.status, order);
        });
      },
    },
    {
      pattern: '/orders/:id/pay',
      post: (reply, req) => {
        const orderId = req.getParameter(0) ?? '';
        const authorization = req.getHeader('authorization');
        const signatureHeader = req.getHeader('payment-signature');
        const contentLength = contentLengthOf(req);
        if (typeof contentLength !== 'string') return reply.error(contentLength, undefined, undefined, true);
        const bad = checkOrderId(orderId);
        if (bad !== null) return reply.error(bad);
        /**
         * What the body says happened decides: "succeeded" pays (idempotent), another status leaves the order as
         * it is and says so. `signature` is recorded by the pay script itself, only when it pays, so a callback
         * answered 503 is accepted again (and a repeat after it paid is answered "paid", replayed).
         */
        const settle = (text: string, signature: string | null) => {
          const outcome = paymentOutcome(text, signature !== null);
          if (isRejection(outcome)) return reply.error(outcome);
          if (outcome.status !== 'succeeded') {
            return run(reply, orderId, async () => {
              const order = await port.getOrder(orderId);
              if (order === null) throw reject(404, 'UNKNOWN_ORDER', `no order ${orderId}: check the orderId`);
              reply.ok(PAYMENT_NOT_SUCCEEDED, `payment ${outcome.status}: order ${orderId} is unchanged (${order.status}); nothing was paid`, order);
            });
          }
          run(reply, orderId, async () => {
            let order;
            try {
              order = await port.pay(orderId, signature);
            } catch (err) {
              throw payRefusal(err, orderId) ?? err;
            }
            const ticket = reply.open ? await port.signTicket(order) : undefined;
            reply.ok(1, order.replayed ? 'paid (this callback was received before)' : 'paid', ticket === undefined ? order : { ...order, ticket });
          });
        };
        readBody(reply, contentLength, port.maxBodyBytes, (body) => {
          // The demo's simulation: anyone holding the order id may mark it paid.
          if (!port.auth.required) return settle(body, null);
          if (port.adminToken !== null && bearerMatches(authorization, port.adminToken)) return settle(body, null);
          if (port.paymentSecret === null || signatureHeader === '') {
            return reply.error({
              status: 401,
              error: 'PAYMENT_SYSTEM_ONLY',
              msg: 'paying an order is the payment system\'s call: send Payment-Signature: t=<unix seconds>,v1=<HMAC> (or the admin token)',
            });
          }
          const check = checkPaymentSignature(signatureHeader, orderId, body, port.paymentSecret, Math.floor(Date.now() / 1000));
          if (!check.ok) return reply.error({ status: 401, error: 'BAD_PAYMENT_SIGNATURE', msg: check.problem });
          settle(body, check.signature);
        });
      },
    },
    {
      pattern: '/orders/:id/cancel',
      post: (reply, req) => {
        const orderId = req.getParameter(0) ?? '';
        const authorization = req.getHeader('authorization');
        run(reply, orderId, async () => {
          if (port.auth.required) await ownOrder(orderId, authorization);
          const order = await port.cancel(orderId);
          reply.ok(1, 'cancelled', order);
        });
      },
    },
  ];
}

/** The business code of a payment callback whose status is not "succeeded": HTTP 200, nothing changed. */
export const PAYMENT_NOT_SUCCEEDED = -30;
