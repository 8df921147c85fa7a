import { createPrivateKey, sign, type KeyObject } from 'node:crypto';

/** One signing job: the node's Ed25519 private key (PKCS#8 PEM) and the canonical payload text. */
export interface SignJob {
  privateKeyPem: string;
  payload: string;
}

let cachedPem = '';
let cachedKey: KeyObject | undefined;

/** Piscina task (runs in the pool's thread): Ed25519 signature of the payload, base64url. */
export default function signTicket(job: SignJob): string {
  if (cachedKey === undefined || cachedPem !== job.privateKeyPem) {
    cachedKey = createPrivateKey(job.privateKeyPem);
    cachedPem = job.privateKeyPem;
  }
  return sign(null, Buffer.from(job.payload), cachedKey).toString('base64url');
}
