/**
 * Every rule for a value that comes from outside — a request, a flag, an environment variable, a caller of
 * the engine — lives here once. Config, HTTP, the CLI and the engine all check with these; the Lua scripts
 * check the same limits again before they write (lua/includes/common.lua), and
 * test/integration/lua-rules.test.ts holds them to this table by feeding the scripts each boundary.
 */

/** A rule for an identifier: a pattern, a length cap (checked first, so the pattern never sees a huge string). */
export interface TextRule {
  /** What the value is, for messages: "sale id". */
  readonly what: string;
  readonly pattern: RegExp;
  readonly maxLength: number;
  /** What a good value looks like, for messages that say what to send instead. */
  readonly shape: string;
}

/** Sale ids are embedded in Redis keys ({sale:<id>}) and order ids (<sale>.<unique>): no dot, no braces. */
export const SALE_ID: TextRule = {
  what: 'sale id',
  pattern: /^[A-Za-z0-9_-]{1,48}$/,
  maxLength: 48,
  shape: '1-48 characters of A-Z a-z 0-9 _ -',
};

/** A buyer. Emails and "tenant:user" fit; spaces, quotes, slashes and the codec's '|' do not. '' = anonymous. */
export const USER: TextRule = {
  what: 'user',
  pattern: /^[A-Za-z0-9_.:@-]{1,64}$/,
  maxLength: 64,
  shape: '1-64 characters of A-Z a-z 0-9 _ . : @ -',
};

export const IDEMPOTENCY_KEY: TextRule = {
  what: 'Idempotency-Key',
  pattern: /^[\x21-\x7e]{1,128}$/,
  maxLength: 128,
  shape: '1-128 printable ASCII characters without spaces',
};

/** "<saleId>.<unique>": the sale is everything before the first dot, the unique part has no dot. */
export const ORDER_ID: TextRule = {
  what: 'order id',
  pattern: /^[A-Za-z0-9_-]{1,48}\.[A-Za-z0-9_-]+$/,
  maxLength: 160,
  shape: 'the orderId returned by /buy/ticket: <sale id>.<letters, digits, _ or ->, at most 160 characters',
};

/**
 * A sale's order-id key (SaleEngine.createSale makes it; lua/create-sale-1.lua checks it): 16 bytes as 32
 * lowercase hex characters. It keys the tag in every order id of the sale (src/sale/ids.ts).
 */
export const ID_KEY: TextRule = {
  what: 'order-id key',
  pattern: /^[0-9a-f]{32}$/,
  maxLength: 32,
  shape: '32 lowercase hex characters (16 random bytes)',
};

export const BATCH_ID: TextRule = {
  what: 'batch id',
  pattern: /^[A-Za-z0-9_-]{1,160}$/,
  maxLength: 160,
  shape: '1-160 characters of A-Z a-z 0-9 _ -',
};

/** A node's name, sent as X-Served-By. */
export const NODE_ID: TextRule = {
  what: 'node id',
  pattern: /^[A-Za-z0-9_.:-]{1,64}$/,
  maxLength: 64,
  shape: '1-64 characters of A-Z a-z 0-9 _ . : -',
};

/** A gate that checks tickets in (POST /tickets/check-in): the user alphabet, so the check-in record
 *  "<ms>|<gate>" needs no escaping (lua/check-in-4.lua checks the same). */
export const GATE: TextRule = {
  what: 'gate',
  pattern: /^[A-Za-z0-9_.:@-]{1,64}$/,
  maxLength: 64,
  shape: '1-64 characters of A-Z a-z 0-9 _ . : @ -, e.g. "G1"',
};

/** What a payment system's callback says happened: "succeeded" pays; anything else ("failed", ...) leaves the order. */
export const PAYMENT_STATUS: TextRule = {
  what: 'payment status',
  pattern: /^[a-z_]{1,32}$/,
  maxLength: 32,
  shape: '"succeeded" (pays the order) or another status of 1-32 of a-z _, e.g. "failed" (changes nothing)',
};

/** Shared secrets a person types or a deployment generates: the admin and gate tokens. */
export const MIN_TOKEN_LENGTH = 16;
/** Keys of HMAC signatures (buyer tokens' HS256, payment callbacks). */
export const MIN_SIGNING_SECRET_LENGTH = 32;
/** The longest a buyer token may live (exp - iat, or exp - now without iat): a leaked token is not good for years. */
export const JWT_MAX_AGE_SECONDS = { what: 'token lifetime (s)', min: 60, max: 30 * 86_400 } as const;

/** A whole-number range. */
export interface IntRule {
  readonly what: string;
  readonly min: number;
  readonly max: number;
}

export const SALE_TOTAL: IntRule = { what: 'total', min: 1, max: 100_000_000 };
export const PER_USER_LIMIT: IntRule = { what: 'perUserLimit', min: 1, max: 1_000_000 };
export const HOLD_SECONDS: IntRule = { what: 'holdSeconds', min: 1, max: 7 * 24 * 3600 };
/** A sale's opening or closing time, ms since the epoch; 0 = none. */
export const SALE_TIME_MS: IntRule = { what: 'time', min: 0, max: 9_999_999_999_999 };
/**
 * A change of a sale's stock (POST /admin/sales/{id}/stock {"add": N}, `sale add-stock --add N`): seats put back
 * on sale (N > 0) or unsold seats taken off it (N < 0); never 0. lua/add-stock-1.lua checks the same range, and
 * that the new total stays within SALE_TOTAL and at least the seats held or paid.
 */
export const STOCK_CHANGE: IntRule = { what: 'add', min: -100_000_000, max: 100_000_000 };
/** Sales per page of GET /admin/sales (and per read of `sale list`). */
export const SALE_PAGE: IntRule = { what: 'limit', min: 1, max: 500 };
export const DEFAULT_SALE_PAGE = 100;
/** Purchases in one reserve-batch call: the script's cap keeps one call at a few ms of Redis time. */
export const BATCH_SIZE: IntRule = { what: 'batch size', min: 1, max: 512 };
/** Holds one expire-holds call may release. */
export const EXPIRE_PER_CALL: IntRule = { what: 'expire limit', min: 1, max: 1000 };
/** How long a decided batch's reply is kept for a re-send, seconds. */
export const BATCH_RECORD_TTL_SECONDS: IntRule = { what: 'batch record TTL', min: 1, max: 86_400 };
export const PORT: IntRule = { what: 'port', min: 1, max: 65_535 };
/** Sales a node can track at once (--max-sales) and places in the sale registry; 1024 by default. */
export const MAX_SALES: IntRule = { what: 'max sales', min: 1, max: 65_536 };
export const DEFAULT_MAX_SALES = 1024;
/**
 * Rate limits (0 = off). A buyer's bucket refills `rate` purchases a second up to `burst`; burst x (1 s / rate)
 * must stay below 2^31 microseconds (src/sale/buyer-buckets.ts keeps times as wrapping Int32 microseconds).
 */
export const BUYER_RATE: IntRule = { what: 'purchases per second per buyer', min: 0, max: 1_000_000 };
export const BUYER_BURST: IntRule = { what: 'purchases at once per buyer', min: 1, max: 1000 };
/** nginx's limit_req per client address: requests a second (0 = off) and the burst on top, answered at once. */
export const IP_RATE: IntRule = { what: 'purchase requests per second per address', min: 0, max: 1_000_000 };
export const IP_BURST: IntRule = { what: 'purchase requests at once per address', min: 0, max: 1_000_000 };

/** Either the checked value or what is wrong with it, phrased as what to send instead. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

export function matches(rule: TextRule, value: unknown): value is string {
  return typeof value === 'string' && value.length <= rule.maxLength && rule.pattern.test(value);
}

/** `value` against a text rule; the problem says what to send. */
export function checkText(rule: TextRule, value: unknown): Checked<string> {
  if (matches(rule, value)) return { ok: true, value };
  if (typeof value !== 'string') return { ok: false, problem: `expected a ${rule.what} (${rule.shape}), got ${describe(value)}` };
  if (value === '') return { ok: false, problem: `is empty: send a ${rule.what} (${rule.shape})` };
  if (value.length > rule.maxLength) return { ok: false, problem: `is too long: send ${rule.shape}` };
  return { ok: false, problem: `has characters or a form that are not allowed: send ${rule.shape}` };
}

/** The bounds of an IntRule; flags with a range of their own pass just these. */
export type IntRange = Pick<IntRule, 'min' | 'max'>;

/** A number (from JSON or a caller) against a range. */
export function checkInt(rule: IntRange, value: unknown): Checked<number> {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= rule.min && value <= rule.max) {
    return { ok: true, value };
  }
  return { ok: false, problem: `expected a whole number from ${rule.min} to ${rule.max}, got ${describe(value)}` };
}

/** A stock change: a whole number in STOCK_CHANGE that is not 0. */
export function checkStockChange(value: unknown): Checked<number> {
  const checked = checkInt(STOCK_CHANGE, value);
  if (checked.ok && checked.value === 0) return { ok: false, problem: 'is 0: send the seats to put back (N > 0) or to take off sale (N < 0)' };
  return checked;
}

/** Text (a flag, an environment variable) that must be a whole number in range. */
export function parseIntText(rule: IntRange, raw: string): Checked<number> {
  const text = raw.trim();
  if (!/^-?\d{1,16}$/.test(text)) {
    return { ok: false, problem: `expected a whole number from ${rule.min} to ${rule.max}, got ${JSON.stringify(raw)}` };
  }
  return checkInt(rule, Number(text));
}

/** The sale of an order id, or null when the id is not "<saleId>.<unique>". */
export function saleOfOrderId(orderId: unknown): string | null {
  if (!matches(ORDER_ID, orderId)) return null;
  return orderId.slice(0, orderId.indexOf('.'));
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) return String(value);
  if (typeof value === 'symbol' || typeof value === 'function') return `a ${typeof value}`;
  try {
    return JSON.stringify(value) ?? 'an object';
  } catch {
    return 'an object that cannot be shown';
  }
}
