/**
 * Input rules for everything a client sends. Kept pure (no uWS) so test/unit-validate.test.ts covers them.
 *  - user id:  ^[A-Za-z0-9_.:@-]{1,64}$  (emails and "tenant:user" fit; spaces, quotes, slashes do not)
 *  - sale id:  ^[A-Za-z0-9_-]{1,48}$     (same rule as src/ids.ts: it is embedded in order ids and Redis keys)
 *  - order id: <saleId>.<unique>, unique = 1-111 characters of A-Z a-z 0-9 _ - (src/ids.ts makes them)
 *  - Idempotency-Key: 1-128 printable ASCII characters without spaces
 */
export const USER_RE = /^[A-Za-z0-9_.:@-]{1,64}$/;
export const SALE_RE = /^[A-Za-z0-9_-]{1,48}$/;
export const ORDER_RE = /^[A-Za-z0-9_-]{1,48}\.[A-Za-z0-9_-]{1,111}$/;
export const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,128}$/;

/** A 4xx answer: HTTP status, a stable machine code, and a message that says what to send instead. */
export interface Rejection {
  status: number;
  error: string;
  msg: string;
}

export function reject(status: number, error: string, msg: string): Rejection {
  return { status, error, msg };
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && 'status' in value && 'error' in value && 'msg' in value;
}

/** Checks a user id; '' means "no user" and is allowed here (the sale decides whether anonymous is fine). */
export function checkUser(user: string): Rejection | null {
  if (user === '') return null;
  if (user.length > 64) return reject(400, 'BAD_USER', 'user is too long: send at most 64 characters of A-Z a-z 0-9 _ . : @ -');
  if (!USER_RE.test(user)) {
    return reject(400, 'BAD_USER', 'user has characters that are not allowed: send 1-64 characters of A-Z a-z 0-9 _ . : @ -');
  }
  return null;
}

export function checkSale(sale: string, field = 'sale'): Rejection | null {
  if (sale === '') return reject(400, 'BAD_SALE', `${field} is missing: send a sale id (1-48 characters of A-Z a-z 0-9 _ -)`);
  if (!SALE_RE.test(sale)) {
    return reject(400, 'BAD_SALE', `${field} is not a valid sale id: send 1-48 characters of A-Z a-z 0-9 _ -`);
  }
  return null;
}

export function checkOrderId(orderId: string): Rejection | null {
  if (!ORDER_RE.test(orderId) || orderId.length > 160) {
    return reject(400, 'BAD_ORDER_ID', 'not an order id: send the orderId returned by /buy/ticket (<sale>.<id>)');
  }
  return null;
}

export function checkIdempotencyKey(key: string): Rejection | null {
  if (key === '') return null;
  if (!IDEMPOTENCY_KEY_RE.test(key)) {
    return reject(400, 'BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-128 printable ASCII characters without spaces');
  }
  return null;
}

/** What a purchase request carries once checked. */
export interface PurchaseInput {
  user: string;
  sale: string;
}

/** Parses and checks the JSON body of POST /buy/ticket: {"user": "...", "sale": "..."}; sale may be omitted. */
export function parsePurchaseBody(text: string, defaultSale: string): PurchaseInput | Rejection {
  const parsed = parseJsonObject(text);
  if (isRejection(parsed)) return parsed;
  const user = parsed['user'];
  const sale = parsed['sale'];
  if (user !== undefined && user !== null && typeof user !== 'string') {
    return reject(400, 'BAD_USER', 'user must be a string of 1-64 characters of A-Z a-z 0-9 _ . : @ -');
  }
  if (sale !== undefined && sale !== null && typeof sale !== 'string') {
    return reject(400, 'BAD_SALE', 'sale must be a string: a sale id of 1-48 characters of A-Z a-z 0-9 _ -');
  }
  const input = { user: user ?? '', sale: sale ?? defaultSale };
  return checkUser(input.user) ?? checkSale(input.sale) ?? input;
}

export function parseJsonObject(text: string): Record<string, unknown> | Rejection {
  if (text.trim() === '') return reject(400, 'BAD_JSON', 'the body is empty: send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject(400, 'BAD_JSON', 'the body is not valid JSON: send a JSON object like {"user":"u1","sale":"S1"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject(400, 'BAD_JSON', 'the body must be a JSON object, not an array or a bare value');
  }
  return value as Record<string, unknown>;
}

/** The body of POST /admin/sales, checked field by field (each error names the field). */
export interface SaleInput {
  id: string;
  total: number;
  perUserLimit: number;
  holdSeconds: number;
  anonymous: boolean;
  opensAt: number | null;
  closesAt: number | null;
}

export const SALE_LIMITS = { maxTotal: 100_000_000, maxPerUser: 1_000_000, maxHoldSeconds: 7 * 24 * 3600 };

export function parseSaleBody(text: string): SaleInput | Rejection {
  const body = parseJsonObject(text);
  if (isRejection(body)) return body;
  return checkSaleFields(body);
}

export function checkSaleFields(body: Record<string, unknown>): SaleInput | Rejection {
  const id = body['id'];
  if (typeof id !== 'string' || !SALE_RE.test(id)) {
    return reject(400, 'BAD_FIELD', 'id: send a sale id of 1-48 characters of A-Z a-z 0-9 _ -');
  }
  const total = intField(body, 'total', undefined, 1, SALE_LIMITS.maxTotal);
  if (isRejection(total)) return total;
  const perUserLimit = intField(body, 'perUserLimit', 1, 1, SALE_LIMITS.maxPerUser);
  if (isRejection(perUserLimit)) return perUserLimit;
  const holdSeconds = intField(body, 'holdSeconds', 900, 1, SALE_LIMITS.maxHoldSeconds);
  if (isRejection(holdSeconds)) return holdSeconds;
  const anonymous = body['anonymous'] ?? false;
  if (typeof anonymous !== 'boolean') return reject(400, 'BAD_FIELD', 'anonymous: send true or false');
  const opensAt = timeField(body, 'opensAt');
  if (isRejection(opensAt)) return opensAt;
  const closesAt = timeField(body, 'closesAt');
  if (isRejection(closesAt)) return closesAt;
  if (opensAt !== null && closesAt !== null && closesAt <= opensAt) {
    return reject(400, 'BAD_FIELD', 'closesAt: must be later than opensAt');
  }
  return { id, total, perUserLimit, holdSeconds, anonymous, opensAt, closesAt };
}

function intField(
  body: Record<string, unknown>,
  name: string,
  fallback: number | undefined,
  min: number,
  max: number,
): number | Rejection {
  const value = body[name];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    return reject(400, 'BAD_FIELD', `${name}: required, send a whole number between ${min} and ${max}`);
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    return reject(400, 'BAD_FIELD', `${name}: send a whole number between ${min} and ${max}`);
  }
  return value;
}

function timeField(body: Record<string, unknown>, name: string): number | null | Rejection {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    return reject(400, 'BAD_FIELD', `${name}: send an ISO 8601 time like 2030-01-01T10:00:00Z`);
  }
  return Date.parse(value);
}
