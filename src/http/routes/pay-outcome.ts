import { EngineError } from '../../redis/codes.js';
import { isRejection, parsePaymentBody, reject, type Rejection } from '../request-rules.js';

/**
 * What a pay call says happened. A signed callback (`required`) must say it: {"status": "succeeded"} or another
 * status. The admin token and the demo may send no body, or a JSON object without a status: that pays.
 */
export function paymentOutcome(text: string, required: boolean): { status: string } | Rejection {
  if (!required && text.trim() === '') return { status: 'succeeded' };
  const parsed = parsePaymentBody(text);
  if (!isRejection(parsed) || required) return parsed;
  // Not a signed callback: a body without "status" is a plain "pay it"; anything else wrong is still a 400.
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && !('status' in value)) return { status: 'succeeded' };
  } catch {
    // not JSON: the 400 below
  }
  return parsed;
}

/**
 * A payment that arrived for an order that can no longer be paid: money was taken for a seat the buyer does not
 * get, so the answer tells the payment system to give it back. No grace period: a hold's seat is for sale again
 * from its deadline on (another buyer may have it already), and one clock — Redis's — decides.
 */
export function payRefusal(err: unknown, orderId: string): Rejection | null {
  if (!(err instanceof EngineError)) return null;
  if (err.code === 'HOLD_EXPIRED') {
    return reject(409, 'HOLD_EXPIRED', `order ${orderId}: the hold expired before the payment arrived and its seat went back on sale: refund the payment (nothing was sold)`);
  }
  if (err.code === 'ORDER_CANCELLED') {
    return reject(409, 'ORDER_CANCELLED', `order ${orderId} was cancelled before the payment arrived: refund the payment (nothing was sold)`);
  }
  return null;
}
