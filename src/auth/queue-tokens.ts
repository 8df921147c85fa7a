import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A waiting room's signed tokens (HMAC-SHA256, 128 bits kept, with a key every node shares: {ts:queue}:secret).
 * Both are `<payload, base64url JSON>.<mac, base64url>`; the mac covers a domain word and the payload, so a queue
 * token is never taken for a pass or the other way round. Nothing is encrypted: a buyer may read their own.
 */

/** A place in line: joined by buyer `user` at `joinedAt` (ms, Redis's clock). */
export interface QueueTicket {
  sale: string;
  user: string;
  /** The place, 0-based; null in the pre-queue before opensAt (fixed then by the permutation of `arrival`). */
  place: number | null;
  /** Pre-queue joiners: the arrival index the permutation maps to a place; null for a late joiner. */
  arrival: number | null;
  joinedAt: number;
}

/** A purchase pass: buyer `user` may buy once in `sale` until `expiresAt` (ms). Its place makes it single use. */
export interface QueuePass {
  sale: string;
  user: string;
  place: number;
  expiresAt: number;
  /** When the buyer joined (ms): the wait to their turn is counted when the pass buys. */
  joinedAt: number;
}

/** A token or pass is at most this long (a sale id of 48, a user of 64, numbers): a header longer is refused unread. */
export const MAX_QUEUE_TOKEN_LENGTH = 512;

export class QueueTokens {
  constructor(private readonly secret: Buffer) {}

  ticket(t: QueueTicket): string {
    return this.sign('queue', { s: t.sale, u: t.user, p: t.place, a: t.arrival, t: t.joinedAt });
  }

  readTicket(text: string): QueueTicket | null {
    const o = this.open('queue', text);
    if (o === null || typeof o.s !== 'string' || typeof o.u !== 'string' || !isCount(o.t)) return null;
    const place = o.p === null ? null : isCount(o.p) ? o.p : undefined;
    const arrival = o.a === null ? null : isCount(o.a) ? o.a : undefined;
    if (place === undefined || arrival === undefined || (place === null && arrival === null)) return null;
    return { sale: o.s, user: o.u, place, arrival, joinedAt: o.t };
  }

  pass(p: QueuePass): string {
    return this.sign('pass', { s: p.sale, u: p.user, p: p.place, e: p.expiresAt, j: p.joinedAt });
  }

  readPass(text: string): QueuePass | null {
    const o = this.open('pass', text);
    if (o === null || typeof o.s !== 'string' || typeof o.u !== 'string' || !isCount(o.p) || !isCount(o.e) || !isCount(o.j)) return null;
    return { sale: o.s, user: o.u, place: o.p, expiresAt: o.e, joinedAt: o.j };
  }

  private sign(domain: string, payload: object): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(domain, body).toString('base64url')}`;
  }

  private open(domain: string, text: string): Record<string, unknown> | null {
    if (text.length > MAX_QUEUE_TOKEN_LENGTH) return null;
    const dot = text.indexOf('.');
    if (dot <= 0) return null;
    const body = text.slice(0, dot);
    const given = Buffer.from(text.slice(dot + 1), 'base64url');
    const want = this.mac(domain, body);
    if (given.length !== want.length || !timingSafeEqual(given, want)) return null;
    try {
      const o = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
      return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  private mac(domain: string, body: string): Buffer {
    return createHmac('sha256', this.secret).update(domain).update('|').update(body).digest().subarray(0, 16);
  }
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
