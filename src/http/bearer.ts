import { timingSafeEqual } from 'node:crypto';

/** True when `header` is "Bearer <token>" with exactly this token, compared in constant time. */
export function bearerMatches(header: string, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) return false;
  const given = Buffer.from(match[1]!);
  const wanted = Buffer.from(token);
  // Constant-time compare so response timing does not leak the token byte by byte.
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
