import {
  DEFAULT_SALE_PAGE,
  GATE,
  IDEMPOTENCY_KEY,
  PAYMENT_STATUS,
  ORDER_ID,
  SALE_ID,
  SALE_PAGE,
  USER,
  checkInt,
  checkStockChange,
  checkText,
  matches,
  parseIntText,
  type TextRule,
} from '../rules/input-rules.js';
import { checkSaleInput, type SaleConfig } from '../rules/sale-config.js';
import { ADMIT_PER_SECOND } from '../rules/queue-config.js';
import { PASSENGERS, SEAT_CLASS, SEAT_PREFERENCE, STATION_NAME, type SeatPreference } from '../rules/train-config.js';
import type { TripAsk } from '../sale/trip.js';

/**
 * What a client sends, checked by the input rules (src/rules) and turned into 4xx answers: a status, a stable
 * machine code, and a message that names the field and says what to send instead. Kept free of uWS so the unit
 * tests cover it.
 */
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

function checkField(rule: TextRule, error: string, field: string, value: string): Rejection | null {
  if (matches(rule, value)) return null; // every purchase passes here: no allocation on the good path
  const checked = checkText(rule, value);
  return checked.ok ? null : reject(400, error, `${field} ${checked.problem}`);
}

/** A user id; '' means "no user" and passes here (the sale decides whether anonymous buyers are fine). */
export function checkUser(user: string): Rejection | null {
  return user === '' ? null : checkField(USER, 'BAD_USER', 'user', user);
}

export function checkSale(sale: string, field = 'sale'): Rejection | null {
  return checkField(SALE_ID, 'BAD_SALE', field, sale);
}

export function checkOrderId(orderId: string): Rejection | null {
  return checkField(ORDER_ID, 'BAD_ORDER_ID', 'the order id', orderId);
}

/** '' = no key sent. */
export function checkIdempotencyKey(key: string): Rejection | null {
  return key === '' ? null : checkField(IDEMPOTENCY_KEY, 'BAD_IDEMPOTENCY_KEY', 'Idempotency-Key', key);
}

/** '' = no proxy key sent (X-Request-Key, set by nginx to its $request_id). */
export function checkRequestKey(key: string): Rejection | null {
  return key === '' ? null : checkField(IDEMPOTENCY_KEY, 'BAD_REQUEST_KEY', 'X-Request-Key', key);
}

/** What a purchase request carries once checked. */
export interface PurchaseInput {
  user: string;
  sale: string;
  /** A train purchase's trip (from, to, class, seat, passengers); undefined when the request names none. */
  trip?: TripAsk;
}

/**
 * A train purchase's fields as sent (query strings or JSON values; absent = undefined): undefined when none is
 * sent (a counter purchase), else the trip — from, to and class required, seat "window" | "aisle", passengers
 * 1..5 (default 1) — or what is wrong with it. Whether the stations and class are the train's is the sale's to
 * say (src/sale/trip.ts resolveTrip).
 */
export function checkTripFields(from: unknown, to: unknown, cls: unknown, seat: unknown, passengers: unknown): TripAsk | undefined | Rejection {
  if (from === undefined && to === undefined && cls === undefined && seat === undefined && passengers === undefined) return undefined;
  for (const [field, value] of [['from', from], ['to', to]] as const) {
    if (!matches(STATION_NAME, value)) return reject(400, 'BAD_TRIP', `${field} must be a station of the train: ${STATION_NAME.shape}`);
  }
  if (!matches(SEAT_CLASS, cls)) return reject(400, 'BAD_TRIP', `class must be a seat class of the train: ${SEAT_CLASS.shape}`);
  if (seat !== undefined && !(typeof seat === 'string' && Object.hasOwn(SEAT_PREFERENCE, seat))) {
    return reject(400, 'BAD_TRIP', 'seat must be "window" or "aisle", or left out');
  }
  let count = 1;
  if (passengers !== undefined) {
    const checked = typeof passengers === 'string' ? parseIntText(PASSENGERS, passengers) : checkInt(PASSENGERS, passengers);
    if (!checked.ok) return reject(400, 'BAD_TRIP', `passengers ${checked.problem}`);
    count = checked.value;
  }
  const trip: TripAsk = { from: from as string, to: to as string, class: cls, passengers: count };
  if (seat !== undefined) trip.seat = seat as SeatPreference;
  return trip;
}

/** Parses and checks the JSON body of POST /buy/ticket: {"user": "...", "sale": "..."}; sale may be omitted. */
export function parsePurchaseBody(text: string, defaultSale: string): PurchaseInput | Rejection {
  const parsed = parseJsonObject(text);
  if (isRejection(parsed)) return parsed;
  const user = parsed['user'];
  const sale = parsed['sale'];
  if (user !== undefined && user !== null && typeof user !== 'string') {
    return reject(400, 'BAD_USER', `user must be a string: ${USER.shape}`);
  }
  if (sale !== undefined && sale !== null && typeof sale !== 'string') {
    return reject(400, 'BAD_SALE', `sale must be a string: a sale id of ${SALE_ID.shape}`);
  }
  const trip = checkTripFields(...(['from', 'to', 'class', 'seat', 'passengers'] as const).map((f) => (parsed[f] === null ? undefined : parsed[f])) as [unknown, unknown, unknown, unknown, unknown]);
  if (isRejection(trip)) return trip;
  const input: PurchaseInput = { user: user ?? '', sale: sale ?? defaultSale };
  if (trip !== undefined) input.trip = trip;
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

/**
 * The body of a payment callback (POST /orders/{id}/pay): {"status": "succeeded"} pays, another status (e.g.
 * "failed") leaves the order as it is. Other fields (the provider's ids, amounts) may come along and are not read.
 */
export function parsePaymentBody(text: string): { status: string } | Rejection {
  const body = parseJsonObject(text);
  if (isRejection(body)) return reject(400, 'BAD_PAYMENT_BODY', `${body.msg}: send {"status":"succeeded"} (or the status the payment ended with, e.g. "failed")`);
  const status = body['status'];
  if (!matches(PAYMENT_STATUS, status)) return reject(400, 'BAD_PAYMENT_BODY', `status must be ${PAYMENT_STATUS.shape}`);
  return { status };
}

/** The body of POST /tickets/check-in: {"ticket": {...}, "gate": "G1"}; the ticket is checked by src/tickets. */
export function parseCheckInBody(text: string): { ticket: unknown; gate: string } | Rejection {
  const body = parseJsonObject(text);
  if (isRejection(body)) return body;
  const gate = body['gate'];
  if (!matches(GATE, gate)) return reject(400, 'BAD_GATE', `gate must be ${GATE.shape}`);
  return { ticket: body['ticket'], gate };
}

/** The body of POST /admin/sales, checked field by field by the sale rules; the 400 names the field. */
export function parseSaleBody(text: string): SaleConfig | Rejection {
  const body = parseJsonObject(text);
  if (isRejection(body)) return body;
  const checked = checkSaleInput(body);
  return checked.ok ? checked.value : reject(400, 'BAD_FIELD', `${checked.field}: ${checked.problem}`);
}

/** The body of POST /admin/sales/{id}/stock: {"add": N}, N a whole number, not 0 (< 0 takes unsold seats off sale). */
export function parseStockBody(text: string): { add: number } | Rejection {
  const body = parseJsonObject(text);
  if (isRejection(body)) return body;
  const extra = Object.keys(body).filter((k) => k !== 'add');
  if (extra.length > 0) return reject(400, 'BAD_FIELD', `${extra[0]}: unknown field; send {"add": N}`);
  const checked = checkStockChange(body['add']);
  return checked.ok ? { add: checked.value } : reject(400, 'BAD_FIELD', `add ${checked.problem}`);
}

/** The body of POST /admin/sales/{id}/queue: {"on": true|false, "admitPerSecond": N | "auto"}, one of them at least. */
export function parseQueueBody(text: string): { on?: boolean; admitPerSecond?: number | 'auto' } | Rejection {
  const body = parseJsonObject(text);
  if (isRejection(body)) return body;
  const extra = Object.keys(body).filter((k) => k !== 'on' && k !== 'admitPerSecond');
  if (extra.length > 0) return reject(400, 'BAD_FIELD', `${extra[0]}: unknown field; send {"on": true|false, "admitPerSecond": N | "auto"}`);
  const out: { on?: boolean; admitPerSecond?: number | 'auto' } = {};
  if (body['on'] !== undefined) {
    if (typeof body['on'] !== 'boolean') return reject(400, 'BAD_FIELD', 'on: send true or false');
    out.on = body['on'];
  }
  const rate = body['admitPerSecond'];
  if (rate !== undefined) {
    const checked = rate === 'auto' ? null : checkInt(ADMIT_PER_SECOND, rate);
    if (checked !== null && !checked.ok) return reject(400, 'BAD_FIELD', `admitPerSecond: ${checked.problem}, or "auto"`);
    out.admitPerSecond = rate as number | 'auto';
  }
  if (out.on === undefined && out.admitPerSecond === undefined) return reject(400, 'BAD_FIELD', 'send {"on": true|false} and/or {"admitPerSecond": N | "auto"}');
  return out;
}

/** GET /admin/sales?after=<sale id>&limit=<1..500>: the page to list (both optional; '' = not sent). */
export function parseSalePageQuery(after: string, limit: string): { after: string; limit: number } | Rejection {
  const badAfter = after === '' ? null : checkSale(after, 'after');
  if (badAfter !== null) return badAfter;
  if (limit === '') return { after, limit: DEFAULT_SALE_PAGE };
  const checked = parseIntText(SALE_PAGE, limit);
  return checked.ok ? { after, limit: checked.value } : reject(400, 'BAD_QUERY', `limit ${checked.problem}`);
}
