import { Piscina } from 'piscina';
import type { Ticket, TicketOrder } from './format.js';
import { keyOf, publicKeysOf, type TicketKeySet, type TicketPublicKey } from './keys.js';
import type { TicketJob } from './sign-worker.js';

/** What a signature check says: valid, a kid this node does not know, or a signature that does not match. */
export type VerifyOutcome = 'valid' | 'unknown_key' | 'bad_signature';

export interface TicketSignerOptions {
  /** Pool threads end after this long without work (default 30 s). */
  idleTimeoutMs?: number;
  /** Pool threads (default 1: one per uWS thread is plenty for the pay path). */
  maxThreads?: number;
  /** Jobs waiting for a pool thread before sign/verify reject (default 1000). */
  maxQueue?: number;
}

/**
 * Signs and verifies e-tickets in a small piscina pool owned by one uWS thread: the CPU work stays off the
 * uWS event loop, and only the pay and ticket routes use it — the purchase hot path never does. The key set
 * can be replaced at any time (a reload after a rotation); a job already queued keeps the key it was given.
 */
export class TicketSigner {
  private readonly pool: Piscina;
  private keySet: TicketKeySet;
  private served: TicketPublicKey[];

  constructor(keys: TicketKeySet, options: TicketSignerOptions = {}) {
    this.keySet = keys;
    this.served = publicKeysOf(keys);
    // Under tsx the task file is .ts (piscina's own worker is JS and imports it after tsx's hooks are in).
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    this.pool = new Piscina({
      filename: new URL(`./sign-worker${ext}`, import.meta.url).href,
      minThreads: 0,
      maxThreads: options.maxThreads ?? 1,
      idleTimeout: options.idleTimeoutMs ?? 30_000,
      maxQueue: options.maxQueue ?? 1000,
    });
  }

  get keys(): TicketKeySet {
    return this.keySet;
  }

  setKeys(keys: TicketKeySet): void {
    this.keySet = keys;
    this.served = publicKeysOf(keys);
  }

  /** The public keys that verify, for /.well-known/ticket-keys. */
  publicKeys(): TicketPublicKey[] {
    return this.served;
  }

  /** The ticket of a paid order, signed with the current key in the pool. */
  async sign(order: TicketOrder): Promise<Ticket> {
    const key = keyOf(this.keySet, this.keySet.current)!;
    const job: TicketJob = {
      op: 'sign',
      order: { id: order.id, sale: order.sale, user: order.user, ...(order.paidAt === undefined ? {} : { paidAt: order.paidAt }), ...(order.seats === undefined ? {} : { seats: order.seats }), ...(order.date === undefined ? {} : { date: order.date }) },
      kid: key.kid,
      privateKeyPem: key.privateKeyPem,
      publicKeyPem: key.publicKeyPem,
    };
    return (await this.pool.run(job)) as Ticket;
  }

  /** Checks a well-formed ticket's signature with the key its kid names (never the key the ticket carries). */
  async verify(ticket: Pick<Ticket, 'payload' | 'signature' | 'kid'>): Promise<VerifyOutcome> {
    const key = keyOf(this.keySet, ticket.kid);
    if (key === undefined) return 'unknown_key';
    const job: TicketJob = { op: 'verify', payload: ticket.payload, signature: ticket.signature, publicKeyPem: key.publicKeyPem };
    return ((await this.pool.run(job)) as boolean) ? 'valid' : 'bad_signature';
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
