import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The payment system's callback signature, like a payment provider's webhook: the header
 * `Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<orderId>.<body>")>`. The order id is
 * signed with the body so a signature for one order never pays another; the timestamp bounds how long a
 * captured callback stays usable, and the caller refuses a signature it has seen before.
 */
export const PAYMENT_SIGNATURE_TOLERANCE_SECONDS = 300;

export function signPayment(secret: string, orderId: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${orderId}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export type PaymentCheck = { ok: true; signature: string } | { ok: false; problem: string };

export function checkPaymentSignature(header: string, orderId: string, body: string, secret: string, nowSeconds: number): PaymentCheck {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (match === null) return { ok: false, problem: 'send Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<orderId>.<body>">' };
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > PAYMENT_SIGNATURE_TOLERANCE_SECONDS) {
    return { ok: false, problem: `the signature's time is more than ${PAYMENT_SIGNATURE_TOLERANCE_SECONDS} s from now: sign the callback when you send it` };
  }
  const wanted = Buffer.from(createHmac('sha256', secret).update(`${t}.${orderId}.${body}`).digest('hex'));
  const given = Buffer.from(match[2]);
  if (!timingSafeEqual(given, wanted)) return { ok: false, problem: 'the signature does not match this order and body: sign "<t>.<orderId>.<body>" with the shared secret' };
  return { ok: true, signature: match[2] };
}
