import type { Cluster, Redis } from 'ioredis';
import type { StockCounters } from 'native-free-shm';
import type { NodeConfig } from '../../config/node-config.js';
import { AuthError, type BuyerTokens } from '../../auth/buyer-tokens.js';
import type { AdminPort, BuyerAuthPort, HealthPort, OrderPort, PurchasePort, SalePort, TicketPort } from '../../http/ports.js';
import { reject } from '../../http/request-rules.js';
import type { Logger } from '../../log/logger.js';
import type { StatLog } from '../../log/stat-log.js';
import type { OutcomeName, ThreadCounters } from '../../metrics/layout.js';
import type { SaleEngine } from '../../sale/engine.js';
import type { OrderLookup } from '../../sale/order-lookup.js';
import type { PurchaseDesk, PurchaseVerdict } from '../../sale/purchase-desk.js';
import type { TicketSigner } from '../../tickets/signer.js';
import type { ThreadToMain } from '../messages.js';
import type { MetricsLink } from './metrics-link.js';
import type { ThreadSaleDirectory } from './sale-directory.js';

/** Everything one uWS thread owns, from which it builds the narrow ports its routes get (src/http/ports.ts). */
export interface ThreadParts {
  index: number;
  config: NodeConfig;
  redis: Redis | Cluster;
  engine: SaleEngine;
  /** Orders in Redis, else (with a database) in PostgreSQL: GET /orders/{id}, pay and cancel. */
  orders: OrderLookup;
  desk: PurchaseDesk;
  stock: StockCounters;
  directory: ThreadSaleDirectory;
  counters: ThreadCounters;
  statLog: StatLog | null;
  signer: TicketSigner;
  /** Buyer authentication (null in the demo), as the purchase and order routes both see it. */
  auth: BuyerAuthPort;
  metricsLink: MetricsLink;
  log: Logger;
  post(message: ThreadToMain): void;
  draining(): boolean;
}

/** The metrics outcome of a purchase verdict; undefined = nobody was answered. */
const OUTCOME_OF: Record<PurchaseVerdict['kind'], OutcomeName | undefined> = {
  success: 'success',
  replayed_final: 'replayed',
  sold_out: 'sold_out',
  limit: 'limit',
  not_open: 'not_open',
  user_required: 'bad_request',
  unknown_sale: 'unknown_sale',
  key_in_flight: 'conflict',
  key_reused: 'mismatch',
  shutting_down: 'unavailable',
  lookup_failed: 'unavailable',
  undecided: 'unavailable',
  unexpected: 'unavailable',
  rate_limited: 'rate_limited',
  abandoned: undefined,
};

/** Verdicts written to the stat log (one line per purchase Redis or the local stock decided). */
const STAT_NAME: Partial<Record<PurchaseVerdict['kind'], string>> = {
  sold_out: 'sold_out',
  limit: 'limit',
  not_open: 'not_open',
  key_reused: 'mismatch',
  undecided: 'unknown',
};

export function buyerAuthPort(tokens: BuyerTokens | null): BuyerAuthPort {
  if (tokens === null) {
    return { required: false, buyerOf: () => Promise.reject(reject(401, 'AUTH_OFF', 'buyer authentication is off on this node')) };
  }
  return {
    required: true,
    buyerOf: (authorization) => {
      try {
        return Promise.resolve(tokens.buyerOf(authorization));
      } catch (err) {
        return Promise.reject(err instanceof AuthError ? reject(401, err.code, err.message) : err);
      }
    },
  };
}

export function purchasePort(parts: ThreadParts): PurchasePort {
  const { counters, statLog, stock } = parts;
  const record = (v: PurchaseVerdict) => {
    const outcome = v.kind === 'success' && v.replayed ? 'replayed' : OUTCOME_OF[v.kind];
    if (outcome !== undefined) counters.outcome(outcome);
    if (statLog === null) return;
    const name = v.kind === 'success' ? outcome : STAT_NAME[v.kind];
    if (name === undefined || !('sale' in v) || v.sale === undefined) return;
    const orderId = v.kind === 'success' || v.kind === 'undecided' ? v.orderId : undefined;
    statLog.record(v.sale.id, name, orderId, v.sale.slot < 0 ? 0 : stock.available(v.sale.slot));
  };
  return {
    defaultSale: parts.config.defaultSale,
    maxBodyBytes: parts.config.maxBodyBytes,
    auth: parts.auth,
    refused: () => counters.outcome('bad_request'),
    buy: (ask, done) =>
      parts.desk.buy(ask, (verdict) => {
        record(verdict);
        done(verdict);
      }),
  };
}

export function orderPort(parts: ThreadParts): OrderPort {
  const { orders, signer, log } = parts;
  return {
    auth: parts.auth,
    adminToken: parts.config.adminToken,
    paymentSecret: parts.config.paymentSecret,
    maxBodyBytes: parts.config.maxBodyBytes,
    getOrder: (orderId) => orders.getOrder(orderId),
    pay: (orderId, signature) => orders.pay(orderId, signature),
    cancel: (orderId) => orders.cancel(orderId),
    signTicket: (order) =>
      signer.sign(order).catch((err: unknown) => {
        log.warn({ err, orderId: order.id }, 'e-ticket signing failed; answering without a ticket');
        return undefined;
      }),
  };
}

export function ticketPort(parts: ThreadParts): TicketPort {
  const { orders, signer } = parts;
  return {
    auth: parts.auth,
    maxBodyBytes: parts.config.maxBodyBytes,
    gateToken: parts.config.gateToken,
    adminToken: parts.config.adminToken,
    checkIn: (seen, gate) => parts.engine.checkIn(seen, gate),
    // Through the same lookup as GET /orders: a paid order retired to PostgreSQL still has its ticket, and a
    // ticket of one still verifies.
    getOrder: (orderId) => orders.getOrder(orderId),
    sign: (order) => signer.sign(order),
    verify: (ticket) => signer.verify(ticket),
    publicKeys: () => signer.publicKeys(),
  };
}

export function salePort(parts: ThreadParts): SalePort {
  return {
    status: (saleId) => parts.engine.status(saleId),
    localQuota: (saleId) => {
      const known = parts.directory.get(saleId);
      return known === undefined ? null : parts.stock.available(known.slot);
    },
  };
}

export function adminPort(parts: ThreadParts): AdminPort {
  return {
    adminToken: parts.config.adminToken,
    maxBodyBytes: parts.config.maxBodyBytes,
    // This node's --max-sales is the capacity it offers the registry (it can hold that many live sales).
    createSale: (config) => parts.engine.createSale(config, parts.config.maxSales),
    announceSale: (saleId) => parts.post({ type: 'sale-created', id: saleId }),
    listSales: (after, limit) => parts.engine.statusPage(after, limit),
    status: (saleId) => parts.engine.status(saleId),
    setPaused: (saleId, paused) => parts.engine.setPaused(saleId, paused),
    close: (saleId) => parts.engine.close(saleId),
    addStock: (saleId, add) => parts.engine.addStock(saleId, add),
    saleChanged: (saleId) => parts.post({ type: 'sale-changed', id: saleId }),
  };
}

export function healthPort(parts: ThreadParts): HealthPort {
  return {
    nodeId: parts.config.id,
    thread: parts.index,
    draining: () => parts.draining(),
    ping: () => parts.redis.ping(),
    metrics: () => parts.metricsLink.scrape(),
  };
}
