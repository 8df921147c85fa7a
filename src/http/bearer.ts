import { createHash, timingSafeEqual } from 'node:crypto';
import type { Rejection } from './request-rules.js';

/**
 * True when `header` is "Bearer <token>" with exactly this token. Both sides are hashed (SHA-256) first and the
 * digests compared with timingSafeEqual: the time taken depends on neither the token's bytes nor its length
 * (comparing the raw strings would return early on a length mismatch and tell an attacker how long it is).
 */
export function bearerMatches(header: string, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const given = digest(match === null ? '' : match[1]);
  return timingSafeEqual(given, digest(token)) && match !== null;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Sent with every admin 401. */
export const ADMIN_CHALLENGE: ReadonlyArray<readonly [string, string]> = [['WWW-Authenticate', 'Bearer']];

/**
 * The one admin check of every /admin route, before anything else is read: null when `authorization` carries
 * the node's admin token, else the 401 to answer (with ADMIN_CHALLENGE). `token` null = admin disabled.
 */
export function adminRejection(authorization: string, token: string | null): Rejection | null {
  if (token === null) {
    return { status: 401, error: 'ADMIN_DISABLED', msg: 'admin is disabled on this node: start it with ADMIN_TOKEN set' };
  }
  if (!bearerMatches(authorization, token)) {
    return { status: 401, error: 'UNAUTHORIZED', msg: 'send Authorization: Bearer <ADMIN_TOKEN> (the token this node was started with)' };
  }
  return null;
}

/**
 * The check of POST /tickets/check-in: a gate's token (GATE_TOKEN) or the admin token. Null when it carries one;
 * else the 401 to answer (with ADMIN_CHALLENGE).
 */
export function gateRejection(authorization: string, gateToken: string | null, adminToken: string | null): Rejection | null {
  if (gateToken === null && adminToken === null) {
    return { status: 401, error: 'GATE_DISABLED', msg: 'check-in is disabled on this node: start it with GATE_TOKEN (or ADMIN_TOKEN) set' };
  }
  if (gateToken !== null && bearerMatches(authorization, gateToken)) return null;
  if (adminToken !== null && bearerMatches(authorization, adminToken)) return null;
  return { status: 401, error: 'UNAUTHORIZED', msg: 'send Authorization: Bearer <GATE_TOKEN> (the gates\' token this node was started with)' };
}
