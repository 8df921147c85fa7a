import { EngineError } from '../redis/codes.js';
import { IDEMPOTENCY_KEY, USER, matches, saleOfOrderId } from '../rules/input-rules.js';
import { PASSENGERS, SEAT_CLASS, STATIONS } from '../rules/train-config.js';
import type { PurchaseRequest } from './types.js';

/**
 * Checks one purchase by the input rules, as lua/reserve-batch-12.lua does; throws ERR_INVALID_ARGUMENT naming
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
  if (p.trip !== undefined) checkTrip(p, where);
}

/** A train purchase's trip by the same limits as lua/reserve-batch-12.lua (which also checks it against the train). */
function checkTrip(p: PurchaseRequest, where: string): void {
  const t = p.trip!;
  const bad = (field: string, what: string) => new EngineError('ERR_INVALID_ARGUMENT', `${where}.trip.${field} must be ${what}`, `${where}.trip.${field}`);
  if (t === null || typeof t !== 'object') throw bad('', 'an object {from, to, class, passengers}');
  if (!Number.isInteger(t.from) || t.from < 0 || t.from >= STATIONS.max - 1) throw bad('from', `a station index from 0 to ${STATIONS.max - 2}`);
  if (!Number.isInteger(t.to) || t.to <= t.from || t.to > STATIONS.max - 1) throw bad('to', 'a station index after from');
  if (!matches(SEAT_CLASS, t.class)) throw bad('class', SEAT_CLASS.shape);
  if (t.seat !== undefined && t.seat !== 'w' && t.seat !== 'a') throw bad('seat', "'w' (window), 'a' (aisle) or absent");
  if (!Number.isInteger(t.passengers) || t.passengers < PASSENGERS.min || t.passengers > PASSENGERS.max) throw bad('passengers', `${PASSENGERS.min} to ${PASSENGERS.max}`);
}

/** A batch is all train purchases (each with a trip) or all counter purchases (none): the script reads one shape. */
export function checkBatchShape(purchases: readonly PurchaseRequest[]): void {
  const trips = purchases.filter((p) => p.trip !== undefined).length;
  if (trips !== 0 && trips !== purchases.length) {
    throw new EngineError('ERR_INVALID_ARGUMENT', 'a batch mixes train purchases (with a trip) and counter purchases: one sale takes one kind', 'purchases');
  }
}
