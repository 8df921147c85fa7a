import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kidOf, rawPublicKey, type TicketSigningKey } from './format.js';

/**
 * The e-ticket keys. A key directory holds one PKCS#8 PEM file per Ed25519 private key, named `<kid>.pem`
 * (kid = kidOf(its public key): the name is checked against the content), and a file `current` naming the
 * kid that signs. Every key in it verifies and is served at /.well-known/ticket-keys, so an old ticket still
 * verifies after a rotation (removing a key file is how a key is retired). With exactly one key, `current`
 * may be absent. Files whose name starts with '.' (a rotation's temporary files) and other names are ignored.
 * Directory 0700, key files 0600.
 */

/** One key as the node's threads get it (structured-clone friendly). */
export interface TicketKey {
  kid: string;
  privateKeyPem: string;
  publicKeyPem: string;
  /** The raw public key, base64url (the JWK `x`). */
  x: string;
}

export interface TicketKeySet {
  /** The kid that signs new tickets. */
  current: string;
  /** Every key that verifies, sorted by kid. */
  keys: TicketKey[];
  /** The key directory, or 'memory' for a key made by this process. */
  source: string;
}

/** What /.well-known/ticket-keys serves for one key (JWK members plus the PEM). */
export interface TicketPublicKey {
  kid: string;
  kty: 'OKP';
  alg: 'EdDSA';
  crv: 'Ed25519';
  use: 'sig';
  x: string;
  publicKeyPem: string;
}

export type TicketKeyErrorCode = 'ERR_TICKET_KEYS_DIR' | 'ERR_TICKET_KEYS_EMPTY' | 'ERR_TICKET_KEY_FILE' | 'ERR_TICKET_KEYS_CURRENT';

/** A key directory that cannot be used as it is; the message names the file and what to do. */
export class TicketKeyError extends Error {
  constructor(
    readonly code: TicketKeyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TicketKeyError';
  }
}

export const CURRENT_FILE = 'current';

/** A key from its PKCS#8 PEM; throws TicketKeyError naming `where` when it is no Ed25519 private key. */
export function keyFromPem(privateKeyPem: string, where: string): TicketKey {
  let privateKey;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw new TicketKeyError('ERR_TICKET_KEY_FILE', `${where} is not a PEM private key (${(err as Error).message}): remove it or run ticket-spike tickets rotate-key`, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TicketKeyError('ERR_TICKET_KEY_FILE', `${where} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519: remove it`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    kid: kidOf(publicKey),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    x: rawPublicKey(publicKey).toString('base64url'),
  };
}

export function generateTicketKey(): TicketKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return keyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'a new key');
}

/** A key made by this process and kept in memory only: tickets of another node (or a restart) differ. */
export function memoryKeySet(): TicketKeySet {
  const key = generateTicketKey();
  return { current: key.kid, keys: [key], source: 'memory' };
}

/** Reads a key directory; throws TicketKeyError (missing dir, no key, a bad file, a bad `current`). */
export function loadKeyDir(dir: string): TicketKeySet {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new TicketKeyError('ERR_TICKET_KEYS_DIR', `cannot read the ticket key directory ${dir} (${(err as Error).message}): create it with ticket-spike tickets rotate-key --dir ${dir}`, { cause: err });
  }
  const keys: TicketKey[] = [];
  for (const name of names.filter((n) => n.endsWith('.pem') && !n.startsWith('.')).sort()) {
    const file = join(dir, name);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      throw new TicketKeyError('ERR_TICKET_KEY_FILE', `cannot read ${file} (${(err as Error).message})`, { cause: err });
    }
    const key = keyFromPem(pem, file);
    if (`${key.kid}.pem` !== name) {
      throw new TicketKeyError('ERR_TICKET_KEY_FILE', `${file} holds key ${key.kid}: a key file is named <kid>.pem, rename it to ${key.kid}.pem`);
    }
    keys.push(key);
  }
  if (keys.length === 0) {
    throw new TicketKeyError('ERR_TICKET_KEYS_EMPTY', `no <kid>.pem key in ${dir}: make one with ticket-spike tickets rotate-key --dir ${dir}`);
  }
  const currentFile = join(dir, CURRENT_FILE);
  let current: string;
  if (existsSync(currentFile)) {
    current = readFileSync(currentFile, 'utf8').trim();
    if (!keys.some((k) => k.kid === current)) {
      throw new TicketKeyError('ERR_TICKET_KEYS_CURRENT', `${currentFile} names ${JSON.stringify(current)}, which is not a key in ${dir} (${keys.map((k) => k.kid).join(', ')})`);
    }
  } else if (keys.length === 1) {
    current = keys[0].kid;
  } else {
    throw new TicketKeyError('ERR_TICKET_KEYS_CURRENT', `${dir} holds ${keys.length} keys and no ${CURRENT_FILE} file naming the one that signs: write its kid there`);
  }
  return { current, keys, source: dir };
}

/** Writes `text` to dir/name atomically (a temporary file renamed over it), mode 0600. */
function writeAtomic(dir: string, name: string, text: string): void {
  const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, join(dir, name));
}

function makeDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
}

/**
 * Adds a new key to a directory (made 0700 when missing) and makes it current: the key file first, then
 * `current`, each written atomically — a node reading meanwhile sees the old set or the new one.
 */
export function rotateKey(dir: string): TicketKey {
  makeDir(dir);
  const key = generateTicketKey();
  writeAtomic(dir, `${key.kid}.pem`, key.privateKeyPem);
  writeAtomic(dir, CURRENT_FILE, `${key.kid}\n`);
  return key;
}

/** The key directory, made with one key when it has none (`up` at its first start). True when a key was made. */
export function ensureKeyDir(dir: string): boolean {
  makeDir(dir);
  if (readdirSync(dir).some((n) => n.endsWith('.pem') && !n.startsWith('.'))) return false;
  rotateKey(dir);
  return true;
}

export function publicKeysOf(set: TicketKeySet): TicketPublicKey[] {
  return set.keys.map((k) => ({ kid: k.kid, kty: 'OKP', alg: 'EdDSA', crv: 'Ed25519', use: 'sig', x: k.x, publicKeyPem: k.publicKeyPem }));
}

/** True when both sets have the same keys and the same current one. */
export function sameKeySet(a: TicketKeySet, b: TicketKeySet): boolean {
  return a.current === b.current && a.keys.length === b.keys.length && a.keys.every((k, i) => k.kid === b.keys[i].kid);
}

export function keyOf(set: TicketKeySet, kid: string): TicketKey | undefined {
  return set.keys.find((k) => k.kid === kid);
}

/** A key of a set as signTicket takes it (the private key parsed once); the current one when no kid is given. */
export function signingKey(set: TicketKeySet, kid = set.current): TicketSigningKey {
  const key = keyOf(set, kid);
  if (key === undefined) throw new TicketKeyError('ERR_TICKET_KEYS_CURRENT', `no key ${kid} in ${set.source}`);
  return { kid: key.kid, privateKey: createPrivateKey(key.privateKeyPem), publicKeyPem: key.publicKeyPem };
}
