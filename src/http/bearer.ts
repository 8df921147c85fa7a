import { timingSafeEqual } from 'node:crypto';
import type { Rejection } from './request-rules.js';

/** True when `header` is "Bearer <token>" with exactly this token, compared in constant time. */
export function bearerMatches(header: string, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) return false;
  const given = Buffer.from(match[1]!);
  const wanted = Buffer.from(token);
  // Constant-time compare so response timing does not leak the token byte by byte.
  return given.length === wanted.length && timingSafeEqual(given, wanted);
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
