import { EngineError } from '../redis/codes.js';
import { OrderStoreUnavailable } from '../sale/order-lookup.js';
import type { Reply } from './reply.js';

/**
 * The one map from an engine error to an HTTP answer, for every route that calls the engine: business states
 * as 404/409 (the sale operations' closed sale and stock floor included), a bad id as 400, an order the order store could not be asked about as 503 ORDER_STORE_UNAVAILABLE, anything else (Redis away, a timeout) as 503 with Retry-After — and an outcome
 * that is unknown then, which the message says, with how to find it out. A 5xx never carries the internal error's
 * text (it is logged through the Reply's hooks): a stable code and what the client can do.
 */
export function answerEngineError(reply: Reply, err: unknown, subject: string): void {
  if (err instanceof OrderStoreUnavailable) {
    // Not 404: the order is not in Redis, but it may be in PostgreSQL (retired), which did not answer.
    return reply.unavailable(
      'ORDER_STORE_UNAVAILABLE',
      `${subject} is not in Redis and the order store (PostgreSQL) did not answer; it may exist: ask again shortly`,
      undefined,
      err,
    );
  }
  if (err instanceof EngineError) {
    switch (err.code) {
      case 'ORDER_NOT_FOUND':
        return reply.error({ status: 404, error: 'UNKNOWN_ORDER', msg: `no ${subject}: check the orderId` });
      case 'HOLD_EXPIRED':
        return reply.error({ status: 409, error: 'HOLD_EXPIRED', msg: `${subject}: the hold expired and its ticket went back on sale; buy again` });
      case 'ORDER_CANCELLED':
        return reply.error({ status: 409, error: 'ORDER_CANCELLED', msg: `${subject} was cancelled; buy again` });
      case 'ORDER_PAID':
        return reply.error({ status: 409, error: 'ORDER_PAID', msg: `${subject} is already paid; it cannot be cancelled` });
      case 'ORDER_NOT_PAID':
        return reply.error({ status: 409, error: 'ORDER_NOT_PAID', msg: `${subject} is not paid yet: only a paid order's ticket admits` });
      case 'ALREADY_CHECKED_IN':
        return reply.error({ status: 409, error: 'ALREADY_CHECKED_IN', msg: about(subject, err) });
      case 'ERR_UNKNOWN_SALE':
        return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `${subject}: no such sale; check the sale id (GET /admin/sales lists them)` });
      case 'ERR_INVALID_ARGUMENT':
        return reply.error({ status: 400, error: subject.startsWith('order ') ? 'BAD_ORDER_ID' : 'BAD_FIELD', msg: about(subject, err) });
      case 'ERR_SALE_CLOSED':
        return reply.error({ status: 409, error: 'SALE_CLOSED', msg: about(subject, err) });
      case 'ERR_STOCK_FLOOR':
        return reply.error({ status: 409, error: 'STOCK_FLOOR', msg: about(subject, err) }, undefined, { floor: Number(err.detail) });
      case 'ERR_REGISTRY_FULL':
        return reply.error({ status: 409, error: 'REGISTRY_FULL', msg: err.message });
      case 'ERR_REGISTRY_CAPACITY':
        return reply.error({ status: 409, error: 'REGISTRY_CAPACITY', msg: err.message });
      case 'ERR_INVALID_SALE':
        return reply.error({ status: 400, error: 'BAD_FIELD', msg: `${subject}: ${err.message}` });
      case 'ERR_SALE_IN_STORE':
        return reply.error({ status: 409, error: 'SALE_IN_STORE', msg: err.message });
      case 'ERR_NOT_REPLICATED':
        // The write is on the master, not on enough replicas: a failover now could lose it, so it was not confirmed.
        return reply.unavailable(
          'OUTCOME_UNKNOWN',
          `${subject}: the change reached Redis's master but not yet its replicas, so it is not confirmed. ` +
            'Send the same call again (it is safe to repeat) or read the order with GET /orders/{id}',
          undefined,
          err,
        );
      // No route's call ends in these (a purchase's refusals are its verdict, batches are the batcher's): if one
      // does, something is off between this node and Redis, answered as below. Listed so that a new code is decided
      // here (the switch must name every code: eslint.config.js).
      case 'ERR_SOLD_OUT':
      case 'ERR_LIMIT_REACHED':
      case 'ERR_NOT_OPEN':
      case 'ERR_IDEMPOTENCY_MISMATCH':
      case 'ERR_ANONYMOUS_NOT_ALLOWED':
      case 'ERR_BATCH_TOO_LARGE':
      case 'ERR_BATCH_ID_CONFLICT':
      case 'ERR_UNEXPECTED_REPLY':
      case 'ERR_SALE_EXISTS':
        break;
    }
  }
  // The cause (an ioredis message, a timeout) goes to the node's log, not to the client.
  reply.unavailable(
    'REDIS_UNAVAILABLE',
    `${subject}: Redis did not confirm in time; the change may or may not have been made. ` +
      'Reading, paying and cancelling are safe to repeat: send the same call again, or read the order with GET /orders/{id}',
    undefined,
    err,
  );
}

/** The error's message, prefixed with its subject unless the engine already named it. */
function about(subject: string, err: Error): string {
  return err.message.startsWith(subject) ? err.message : `${subject}: ${err.message}`;
}
