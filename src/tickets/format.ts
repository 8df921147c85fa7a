import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { ORDER_ID, SALE_ID, USER, matches } from '../rules/input-rules.js';

/**
 * The e-ticket format, pure (no I/O, no pool): the canonical payload, the key id, signing a ticket from an
 * order with a given key, checking a ticket's shape and its signature. The pool's task (sign-worker.ts) and
 * anything else that issues tickets (the order worker writing `ticket jsonb`) use these same functions, so a
 * ticket is the same bytes wherever it is made: Ed25519 is deterministic.
 */

/** The facts of a paid order a ticket carries (an OrderView fits). */
export interface TicketOrder {
  id: string;
  sale: string;
  user: string;
  paidAt?: number;
  /** A train order's seats: coach, seat and the stations it admits between. */
  seats?: TicketSeat[];
  /** A train order: the day the train runs (YYYY-MM-DD). */
  date?: string;
}

/** One seat a train ticket admits to: coach and seat as printed, from and to by station name. */
export interface TicketSeat {
  coach: string;
  seat: string;
  from: string;
  to: string;
}

/** The signed part, in this key order (canonical JSON: JSON.stringify of exactly these fields). */
export interface TicketPayload {
  orderId: string;
  sale: string;
  user: string;
  /** ms since the epoch; null when the order view had none. */
  paidAt: number | null;
  /** A train ticket's day (YYYY-MM-DD), when its sale names one. */
  date?: string;
  /** A train ticket's seats (absent on a counter sale's ticket). */
  seats?: TicketSeat[];
  kid: string;
}

export interface Ticket {
  /** Canonical JSON of TicketPayload: exactly the bytes that were signed. */
  payload: string;
  /** Ed25519 signature of `payload`, base64url (86 characters). */
  signature: string;
  /** The signing key's id; the same as the payload's (GET /.well-known/ticket-keys serves its public key). */
  kid: string;
  /** SPKI PEM of the signing key, so a gate can check the signature offline (trust it only via the kid). */
  publicKey: string;
}

/** A key that signs: its id, its private key, and its public key as a gate gets it. */
export interface TicketSigningKey {
  kid: string;
  privateKey: KeyObject | string;
  publicKeyPem: string;
}

/** Bounds of a ticket on the wire (a real one is about 600 bytes). */
export const TICKET_LIMITS = { payloadChars: 1024, signatureChars: 128, publicKeyChars: 256, bodyBytes: 2560, seats: 5 } as const;
const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * A key id: base64url of the first 9 bytes of SHA-256 of the raw 32-byte Ed25519 public key (12 characters),
 * so the same key has the same id on every node and a key file's name can be checked against its content.
 */
export function kidOf(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest().subarray(0, 9).toString('base64url');
}

/** The raw 32-byte public key (the JWK `x`). */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new TypeError('not an Ed25519 public key');
  return Buffer.from(jwk.x, 'base64url');
}

/** The canonical payload text of an order signed with key `kid`. */
export function canonicalPayload(order: TicketOrder, kid: string): string {
  const payload: TicketPayload = { orderId: order.id, sale: order.sale, user: order.user, paidAt: order.paidAt ?? null, kid };
  if (order.seats !== undefined) return JSON.stringify(withSeats(payload, order.seats, order.date));
  return JSON.stringify(payload);
}

/**
 * The ticket of a paid order, signed with `key` — synchronous CPU work (~50 µs): call it in a worker (the
 * piscina pool, the order worker), never on a uWS thread. The caller checks that the order is paid.
 */
export function signTicket(order: TicketOrder, key: TicketSigningKey): Ticket {
  const payload = canonicalPayload(order, key.kid);
  const privateKey = typeof key.privateKey === 'string' ? createPrivateKey(key.privateKey) : key.privateKey;
  const signature = sign(null, Buffer.from(payload), privateKey).toString('base64url');
  return { payload, signature, kid: key.kid, publicKey: key.publicKeyPem };
}

/** True when `signature` is the Ed25519 signature of `payload` by `publicKey` (false for a wrong length). */
export function signatureValid(payload: string, signature: string, publicKey: KeyObject | string): boolean {
  const bytes = Buffer.from(signature, 'base64url');
  if (bytes.length !== 64) return false;
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return verify(null, Buffer.from(payload), key, bytes);
}

export type ParsedTicket =
  | { ok: true; ticket: Ticket; payload: TicketPayload }
  | { ok: false; error: 'BAD_TICKET' | 'BAD_TICKET_PAYLOAD'; problem: string };

const bad = (error: 'BAD_TICKET' | 'BAD_TICKET_PAYLOAD', problem: string): ParsedTicket => ({ ok: false, error, problem });

/**
 * Checks the shape of a ticket as a client sends it (the value of `{"ticket": ...}`), no cryptography:
 * BAD_TICKET for a missing or oversized field or a signature that is not base64url, BAD_TICKET_PAYLOAD for a
 * payload that is not the canonical JSON of valid fields or whose kid is not the ticket's. A well-formed
 * ticket may still be forged: its signature is checked afterwards, in the pool.
 */
export function parseTicket(value: unknown): ParsedTicket {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('BAD_TICKET', 'ticket must be an object {payload, signature, kid}');
  const t = value as Record<string, unknown>;
  const { payload, signature, kid } = t;
  if (typeof payload !== 'string' || payload.length === 0 || payload.length > TICKET_LIMITS.payloadChars) {
    return bad('BAD_TICKET', `ticket.payload must be a string of 1-${TICKET_LIMITS.payloadChars} characters`);
  }
  if (typeof signature !== 'string' || signature.length === 0 || signature.length > TICKET_LIMITS.signatureChars || !BASE64URL.test(signature)) {
    return bad('BAD_TICKET', `ticket.signature must be base64url (A-Z a-z 0-9 _ -), 1-${TICKET_LIMITS.signatureChars} characters`);
  }
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) return bad('BAD_TICKET', 'ticket.kid must be a key id (1-64 of A-Z a-z 0-9 _ -)');
  const publicKey = t['publicKey'] ?? '';
  if (typeof publicKey !== 'string' || publicKey.length > TICKET_LIMITS.publicKeyChars) {
    return bad('BAD_TICKET', `ticket.publicKey, when sent, must be a PEM string of at most ${TICKET_LIMITS.publicKeyChars} characters`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return bad('BAD_TICKET_PAYLOAD', 'ticket.payload is not JSON: send the payload exactly as issued');
  }
  const p = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const paidAt = p['paidAt'];
  const fieldsOk =
    matches(ORDER_ID, p['orderId']) &&
    matches(SALE_ID, p['sale']) &&
    (p['user'] === '' || matches(USER, p['user'])) &&
    (paidAt === null || (typeof paidAt === 'number' && Number.isSafeInteger(paidAt) && paidAt >= 0)) &&
    typeof p['kid'] === 'string';
  const seats = p['seats'];
  const date = p['date'];
  const seatsOk =
    (seats === undefined && date === undefined) ||
    (Array.isArray(seats) && seats.length >= 1 && seats.length <= TICKET_LIMITS.seats && seats.every(isTicketSeat) && (date === undefined || (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date))));
  if (!fieldsOk || !seatsOk) return bad('BAD_TICKET_PAYLOAD', 'ticket.payload must hold orderId, sale, user, paidAt, seats (a train ticket) and kid, each valid');
  const plain: TicketPayload = { orderId: p['orderId'] as string, sale: p['sale'] as string, user: p['user'] as string, paidAt: paidAt, kid: p['kid'] as string };
  const fields = seats === undefined ? plain : withSeats(plain, (seats).map((s) => ({ coach: s.coach, seat: s.seat, from: s.from, to: s.to })), date);
  if (JSON.stringify(fields) !== payload) return bad('BAD_TICKET_PAYLOAD', 'ticket.payload is not in canonical form: send the payload exactly as issued');
  if (fields.kid !== kid) return bad('BAD_TICKET_PAYLOAD', 'ticket.kid differs from the kid in its payload');
  if (!fields.orderId.startsWith(`${fields.sale}.`)) return bad('BAD_TICKET_PAYLOAD', "ticket.payload's sale is not its order's sale");
  return { ok: true, ticket: { payload, signature, kid, publicKey }, payload: fields };
}

/** The payload with the train's `date` (when known) and `seats` in their canonical place, before `kid`. */
function withSeats(payload: TicketPayload, seats: TicketSeat[], date: string | undefined): TicketPayload {
  const { kid, ...rest } = payload;
  return date === undefined ? { ...rest, seats, kid } : { ...rest, date, seats, kid };
}

function isTicketSeat(value: unknown): value is TicketSeat {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  const text = (v: unknown, max: number) => typeof v === 'string' && v.length >= 1 && v.length <= max;
  return text(s['coach'], 4) && text(s['seat'], 8) && text(s['from'], 48) && text(s['to'], 48);
}
