import { EngineError } from '../redis/codes.js';
import { IDEMPOTENCY_KEY, USER, matches, saleOfOrderId } from '../rules/input-rules.js';
import type { PurchaseRequest } from './types.js';

/**
 * Checks one purchase by the input rules, as lua/reserve-batch-8.lua does; throws ERR_INVALID_ARGUMENT naming
 * the field, so one malformed purchase is refused alone instead of failing its whole batch in Redis.
 */
export function checkPurchase(saleId: string, p: PurchaseRequest, index = 0): void {
  const where = `purchases[${index}]`;
  if (p === null || typeof p !== 'object') {
    throw new EngineError('ERR_INVALID_ARGUMENT', `${where} must be an object {orderId, user}`, where);
  }
  if (saleOfOrderId(p.orderId) !== saleId) {
    throw new EngineError(
      'ERR_INVALID_ARGUMENT',
      `${where}.orderId ${JSON.stringify(p.orderId)} is invalid: make it with newOrderId(${JSON.stringify(saleId)})`,
      `${where}.orderId`,
    );
  }
  if (p.user !== '' && !matches(USER, p.user)) {
    throw new EngineError('ERR_INVALID_ARGUMENT', `${where}.user must be '' (anonymous) or ${USER.shape}`, `${where}.user`);
  }
  for (const field of ['idempotencyKey', 'requestKey'] as const) {
    const k = p[field];
    if (k !== undefined && k !== '' && !matches(IDEMPOTENCY_KEY, k)) {
      throw new EngineError('ERR_INVALID_ARGUMENT', `${where}.${field} must be ${IDEMPOTENCY_KEY.shape}`, `${where}.${field}`);
    }
  }
}
