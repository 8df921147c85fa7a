import { ADMIN_CHALLENGE, gateRejection } from '../bearer.js';
import { contentLengthOf, isJson, readBody } from '../body.js';
import { answerEngineError } from '../engine-errors.js';
import type { TicketPort } from '../ports.js';
import type { Reply } from '../reply.js';
import { isRejection, parseCheckInBody, reject } from '../request-rules.js';
import type { Route } from '../router.js';
import { EngineError } from '../../redis/codes.js';
import { checkInOf } from '../../sale/order-transitions.js';
import type { CheckIn, OrderStatus } from '../../sale/types.js';
import { parseTicket, TICKET_LIMITS, type TicketPayload } from '../../tickets/format.js';
import { NOT_PAID, VERIFY_CODES, poolBusy } from './tickets.js';

/**
 * POST /tickets/check-in {"ticket": {...}, "gate": "G1"} with `Authorization: Bearer <GATE_TOKEN>` (or the admin
 * token): a gate admits the ticket's holder once. The first scan of a genuine ticket of a paid order answers
 * code 1 and is recorded atomically in Redis (when, which gate; lua/check-in-4.lua), so a screenshot shown at a
 * second gate — on any node — is answered 409 ALREADY_CHECKED_IN with the first scan's time and gate. A ticket
 * that does not verify gets POST /tickets/verify's codes (HTTP 200, negative); an order that is not paid (held,
 * cancelled, expired) is 409 with its reason. `verify` stays the read-only check.
 */
export function checkInRoutes(port: TicketPort): Route[] {
  return [
    {
      pattern: '/tickets/check-in',
      post: (reply, req) => {
        const denied = gateRejection(req.getHeader('authorization'), port.gateToken, port.adminToken);
        const contentType = req.getHeader('content-type');
        const contentLength = contentLengthOf(req);
        if (typeof contentLength !== 'string') return reply.error(contentLength, undefined, undefined, true);
        if (denied !== null) return reply.error(denied, ADMIN_CHALLENGE);
        if (!isJson(contentType)) return reply.error(reject(415, 'UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/json'));
        readBody(reply, contentLength, Math.min(port.maxBodyBytes, TICKET_LIMITS.bodyBytes), (text) => {
          const body = parseCheckInBody(text);
          if (isRejection(body)) return reply.error(body);
          const parsed = parseTicket(body.ticket);
          if (!parsed.ok) return reply.error(reject(400, parsed.error, parsed.problem));
          reply.settle(
            port.verify(parsed.ticket),
            (outcome) => {
              if (outcome !== 'valid') return reply.ok(VERIFY_CODES[outcome], outcome, parsed.payload);
              if (reply.open) admit(port, reply, parsed.payload, body.gate);
            },
            (err) => poolBusy(reply, err),
          );
        });
      },
    },
  ];
}

/** What a genuine ticket's check-in found: no order, an order that is not paid (its status), or the check-in made. */
type Admission =
  | { kind: 'unknown_order' }
  | { kind: 'not_paid'; status: Exclude<OrderStatus, 'paid'> }
  | { kind: 'checked_in'; first: CheckIn };

/** A genuine ticket: its order must be paid now, then the one check-in is recorded (or the first one told). */
function admit(port: TicketPort, reply: Reply, payload: TicketPayload, gate: string): void {
  const { orderId } = payload;
  // The order, and its check-in only when it is paid.
  const admission = async (): Promise<Admission> => {
    const order = await port.getOrder(orderId);
    if (order === null) return { kind: 'unknown_order' };
    if (order.status !== 'paid') return { kind: 'not_paid', status: order.status };
    return { kind: 'checked_in', first: await port.checkIn(order, gate) };
  };
  reply.settle(
    admission(),
    (found) => {
      switch (found.kind) {
        case 'unknown_order':
          return reply.ok(VERIFY_CODES.unknown_order, 'unknown_order', payload);
        case 'not_paid':
          return reply.error(NOT_PAID[found.status], undefined, { orderId, status: found.status });
        case 'checked_in':
          return reply.ok(1, 'checked in', { ...payload, checkedInAt: found.first.checkedInAt, gate: found.first.gate });
      }
    },
    (err) => {
      if (err instanceof EngineError && err.code === 'ALREADY_CHECKED_IN') {
        const first = checkInOf(err);
        return reply.error(
          reject(409, 'ALREADY_CHECKED_IN', `this ticket was checked in at ${new Date(first.checkedInAt).toISOString()} at gate ${first.gate}: one ticket admits one person`),
          undefined,
          { orderId, checkedInAt: first.checkedInAt, gate: first.gate },
        );
      }
      answerEngineError(reply, err, `order ${orderId}`);
    },
  );
}
