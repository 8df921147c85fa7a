import { createPublicKey } from 'node:crypto';
import { createVerifier, type VerifierOptions } from 'fast-jwt';
import { USER, matches } from '../rules/input-rules.js';

/** Where buyers' bearer tokens are checked against: one of an HS256 secret or an EdDSA / RS256 public key. */
export interface BuyerTokenKeys {
  hs256Secret?: string;
  /** SPKI PEM; Ed25519 keys verify EdDSA tokens, RSA keys RS256. */
  publicKeyPem?: string;
  issuer?: string;
  audience?: string;
  /** Longest lifetime accepted, seconds: exp - iat (or exp - now without iat). Default 24 h. */
  maxAgeSeconds?: number;
}

export type AuthErrorCode = 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_SUBJECT' | 'TOKEN_TOO_LONG_LIVED';

/** The default of JWT_MAX_AGE: a day, about a login session; a token that lives for years is a leaked password. */
export const DEFAULT_JWT_MAX_AGE_SECONDS = 86_400;

interface Claims {
  sub?: unknown;
  exp?: unknown;
  iat?: unknown;
}

/** A buyer that could not be identified; the message says what to send. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Verifies buyers' JWTs with fast-jwt (node:crypto underneath: an HS256 check costs ~7 us against ~60-110 us
 * for jose's WebCrypto path on Node 20, bench/micro/jwt-verify.ts). The buyer is the token's `sub`, which must
 * be a valid user id; `exp` is required. Tokens verified with a public key are remembered until they expire (an
 * LRU of `maxRemembered` per thread), so a buyer's retries skip the costly signature check.
 */
export class BuyerTokens {
  private readonly verify: (token: string) => Claims;
  private readonly maxAgeSeconds: number;

  constructor(keys: BuyerTokenKeys, maxRemembered = 50_000) {
    this.maxAgeSeconds = keys.maxAgeSeconds ?? DEFAULT_JWT_MAX_AGE_SECONDS;
    const options: Partial<VerifierOptions & { key: string }> = { requiredClaims: ['sub', 'exp'] };
    if (keys.hs256Secret !== undefined) {
      // An HMAC check (~6 us) is cheaper than the cache's own work on a token it has not seen (~9 us of hashing
      // and LRU): in a flash sale most requests are a buyer's first, so HS256 tokens are checked every time.
      options.key = keys.hs256Secret;
      options.algorithms = ['HS256'];
    } else if (keys.publicKeyPem !== undefined) {
      const type = createPublicKey(keys.publicKeyPem).asymmetricKeyType;
      if (type !== 'ed25519' && type !== 'rsa') throw new TypeError(`buyer token key: an Ed25519 or RSA public key, got ${String(type)}`);
      options.key = keys.publicKeyPem;
      options.algorithms = [type === 'ed25519' ? 'EdDSA' : 'RS256'];
      // A public-key check costs 25-130 us: a buyer's retries are answered from the cache.
      options.cache = maxRemembered > 0 ? maxRemembered : false;
    } else {
      throw new TypeError('buyer token key: give an HS256 secret or a public key');
    }
    if (keys.issuer !== undefined) options.allowedIss = keys.issuer;
    if (keys.audience !== undefined) options.allowedAud = keys.audience;
    this.verify = createVerifier(options) as (token: string) => Claims;
  }

  /** The buyer of an `Authorization: Bearer <jwt>` header. Throws AuthError. */
  buyerOf(authorization: string): string {
    const match = /^Bearer\s+([A-Za-z0-9_.-]+)\s*$/i.exec(authorization);
    if (match === null) throw new AuthError('TOKEN_MISSING', 'send Authorization: Bearer <token> with the buyer token your login issued');
    let payload: Claims;
    try {
      payload = this.verify(match[1]);
    } catch (err) {
      throw new AuthError('TOKEN_INVALID', `the buyer token was refused (${(err as Error).message}): log in again for a fresh one`);
    }
    // fast-jwt checks that exp has not passed; how far ahead it lies is checked here (also for remembered tokens).
    const exp = Number(payload.exp);
    // An iat in the future counts as now: else a token "issued" a minute before its far-off exp would pass.
    const now = Date.now() / 1000;
    const from = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
    if (exp - from > this.maxAgeSeconds) {
      throw new AuthError('TOKEN_TOO_LONG_LIVED', `the buyer token lives ${Math.round(exp - from)} s, longer than the ${this.maxAgeSeconds} s this node accepts (JWT_MAX_AGE): issue tokens with a shorter exp`);
    }
    if (!matches(USER, payload.sub)) throw new AuthError('TOKEN_SUBJECT', `the token's sub is not a buyer id: it must be ${USER.shape}`);
    return payload.sub;
  }
}
