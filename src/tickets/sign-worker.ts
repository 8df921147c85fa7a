import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { signatureValid, signTicket, type Ticket, type TicketOrder } from './format.js';

/** A job for the pool: sign an order's ticket with a key, or check a signature with a public key. */
export type TicketJob =
  | { op: 'sign'; order: TicketOrder; kid: string; privateKeyPem: string; publicKeyPem: string }
  | { op: 'verify'; payload: string; signature: string; publicKeyPem: string };

/** Parsed keys by PEM (a node has a handful; parsing one costs more than a signature). */
const keys = new Map<string, KeyObject>();
function keyOf(pem: string, make: (pem: string) => KeyObject): KeyObject {
  let key = keys.get(pem);
  if (key === undefined) {
    if (keys.size >= 64) keys.clear();
    key = make(pem);
    keys.set(pem, key);
  }
  return key;
}

/** Piscina task (runs in the pool's thread, never on a uWS thread): the same pure functions as everywhere. */
export default function ticketTask(job: TicketJob): Ticket | boolean {
  if (job.op === 'sign') {
    return signTicket(job.order, { kid: job.kid, privateKey: keyOf(job.privateKeyPem, createPrivateKey), publicKeyPem: job.publicKeyPem });
  }
  return signatureValid(job.payload, job.signature, keyOf(job.publicKeyPem, createPublicKey));
}
