import { generateKeyPairSync } from 'node:crypto';
import { Piscina } from 'piscina';

/** The node's e-ticket key pair, made once by the main thread and handed to every uWS thread. */
export interface TicketKeys {
  privateKeyPem: string;
  /** SPKI PEM; returned with every ticket so a gate can verify it offline. */
  publicKeyPem: string;
}

export function createTicketKeys(): TicketKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The facts of a paid order a ticket carries. */
export interface TicketOrder {
  id: string;
  sale: string;
  user: string;
  paidAt?: number;
}

export interface Ticket {
  /** Canonical JSON of {orderId, sale, user, paidAt}: exactly the bytes that were signed. */
  payload: string;
  /** Ed25519 signature of `payload`, base64url. */
  signature: string;
  publicKey: string;
}

/**
 * Signs e-tickets for paid orders in a small piscina pool owned by one uWS thread (maxThreads 1, threads
 * end after `idleTimeoutMs` without work): CPU work off the uWS event loop, and only on the pay path — the
 * purchase hot path never touches it.
 */
export class TicketSigner {
  private readonly pool: Piscina;

  constructor(
    private readonly keys: TicketKeys,
    idleTimeoutMs = 30_000,
  ) {
    // Under tsx the task file is .ts (piscina's own worker is JS and imports it after tsx's hooks are in).
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    this.pool = new Piscina({
      filename: new URL(`./sign-worker${ext}`, import.meta.url).href,
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: idleTimeoutMs,
      maxQueue: 1000,
    });
  }

  async sign(order: TicketOrder): Promise<Ticket> {
    const payload = JSON.stringify({ orderId: order.id, sale: order.sale, user: order.user, paidAt: order.paidAt ?? null });
    const signature = (await this.pool.run({ privateKeyPem: this.keys.privateKeyPem, payload })) as string;
    return { payload, signature, publicKey: this.keys.publicKeyPem };
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
