import type { Cluster, Redis } from 'ioredis';
import { availabilityOf } from '../../sale/availability.js';
import type { Inventories } from '../../sale/inventories.js';
import type { OrderView, SaleInfo } from '../../sale/types.js';
import { namedOrder } from '../../sale/train-catalogue.js';
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
import type { PurchaseDesk, PurchaseVerdict, VerdictKind } from '../../sale/purchase-desk.js';
import type { TicketSigner } from '../../tickets/signer.js';
import type { ThreadToMain } from '../messages.js';
import type { MetricsLink } from './metrics-link.js';
import type { ThreadSaleDirectory } from './sale-directory.js';
import { createUnlessLost } from '../../sale/fresh-create.js';

/** Everything one uWS thread owns, from which it builds the narrow ports its routes get (src/http/ports.ts). */
export interface ThreadParts {
  index: number;
  config: NodeConfig;
  redis: Redis | Cluster;
  engine: SaleEngine;
  /** Orders in Redis, else (with a database) in PostgreSQL: GET /orders/{id}, pay and cancel. */
  orders: OrderLookup;
  desk: PurchaseDesk;
  /** Each sale's local view of what it has left (the desk's too): a train's seat board answers availability. */
  inventories: Inventories;
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

/**
 * How each verdict kind is counted, one row per kind (the compiler wants a row for every kind of PurchaseVerdict):
 * its outcome in /metrics (null: nobody was answered) and its name in the stat log, which has one line per
 * purchase the sale's stock or Redis decided (null: decided before either was asked). A success is counted as
 * `replayed` when it replayed an earlier order.
 */
const COUNTED: { readonly [K in VerdictKind]: { readonly metric: OutcomeName | null; readonly stat: string | null } } = {
  success: { metric: 'success', stat: 'success' },
  replayed_final: { metric: 'replayed', stat: null },
  sold_out: { metric: 'sold_out', stat: 'sold_out' },
  bad_trip: { metric: 'bad_request', stat: null },
  no_pass: { metric: 'not_open', stat: 'not_open' },
  limit: { metric: 'limit', stat: 'limit' },
  not_open: { metric: 'not_open', stat: 'not_open' },
  user_required: { metric: 'bad_request', stat: null },
  unknown_sale: { metric: 'unknown_sale', stat: null },
  key_in_flight: { metric: 'conflict', stat: null },
  key_reused: { metric: 'mismatch', stat: 'mismatch' },
  shutting_down: { metric: 'unavailable', stat: null },
  lookup_failed: { metric: 'unavailable', stat: null },
  undecided: { metric: 'unavailable', stat: 'unknown' },
  unexpected: { metric: 'unavailable', stat: null },
  rate_limited: { metric: 'rate_limited', stat: null },
  abandoned: { metric: null, stat: null },
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
    const counted = COUNTED[v.kind];
    const replay = v.kind === 'success' && v.replayed;
    if (counted.metric !== null) counters.outcome(replay ? 'replayed' : counted.metric);
    if (statLog === null || counted.stat === null || !('sale' in v) || v.sale === undefined) return;
    const orderId = v.kind === 'success' || v.kind === 'undecided' ? v.orderId : undefined;
    statLog.record(v.sale.id, replay ? 'replayed' : counted.stat, orderId, v.sale.slot < 0 ? 0 : stock.available(v.sale.slot));
  };
  return {
    defaultSale: parts.config.defaultSale,
    maxBodyBytes: parts.config.maxBodyBytes,
    auth: parts.auth,
    refused: () => counters.outcome('bad_request'),
    // The desk's own buy: no wrapping closure per purchase (the route calls `counted` with each verdict).
    buy: (ask, done) => parts.desk.buy(ask, done),
    counted: record,
  };
}

/**
 * A train order's seats named by its sale's catalogue (the sale as this thread knows it, or looked up once);
 * a counter order as it is.
 */
function namer(parts: ThreadParts): <T extends OrderView>(order: T) => Promise<T> {
  return (order) => {
    if (order.item === undefined) return Promise.resolve(order);
    return new Promise((resolve) => parts.directory.find(order.sale, (sale) => resolve(namedOrder(order, sale?.train ?? null))));
  };
}

export function orderPort(parts: ThreadParts): OrderPort {
  const { orders, signer, log } = parts;
  const named = namer(parts);
  return {
    auth: parts.auth,
    adminToken: parts.config.adminToken,
    paymentSecret: parts.config.paymentSecret,
    maxBodyBytes: parts.config.maxBodyBytes,
    getOrder: (orderId) => orders.getOrder(orderId).then((o) => (o === null ? null : named(o))),
    pay: (orderId, signature) => orders.pay(orderId, signature).then(named),
    cancel: (orderId) => orders.cancel(orderId).then(named),
    signTicket: (order) =>
      signer.sign(order).catch((err: unknown) => {
        log.warn({ err, orderId: order.id }, 'e-ticket signing failed; answering without a ticket');
        return undefined;
      }),
  };
}

export function ticketPort(parts: ThreadParts): TicketPort {
  const { orders, signer } = parts;
  const named = namer(parts);
  return {
    auth: parts.auth,
    maxBodyBytes: parts.config.maxBodyBytes,
    gateToken: parts.config.gateToken,
    adminToken: parts.config.adminToken,
    checkIn: (seen, gate) => parts.engine.checkIn(seen, gate),
    // Through the same lookup as GET /orders: a paid order retired to PostgreSQL still has its ticket, and a
    // ticket of one still verifies.
    getOrder: (orderId) => orders.getOrder(orderId).then((o) => (o === null ? null : named(o))),
    sign: (order) => signer.sign(order),
    verify: (ticket) => signer.verify(ticket),
    publicKeys: () => signer.publicKeys(),
  };
}

export function salePort(parts: ThreadParts): SalePort {
  const answer = (sale: SaleInfo | null, from: string | undefined, to: string | undefined) => {
    if (sale === null) return null;
    if (sale.train === null) return 'counter' as const;
    return availabilityOf(sale.train, parts.inventories.train.board(sale), from, to);
  };
  return {
    status: (saleId) => parts.engine.status(saleId),
    availability: (saleId, from, to) => {
      const known = parts.directory.get(saleId);
      if (known !== undefined) return Promise.resolve(answer(known, from, to));
      return new Promise((resolve, reject) =>
        parts.directory.find(saleId, (sale, error) => (error !== undefined ? reject(new Error(error)) : resolve(answer(sale, from, to)))),
      );
    },
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
    createSale: (config) => createUnlessLost(parts.engine, parts.orders.storeHasSale(), config, parts.config.maxSales),
    announceSale: (saleId) => parts.post({ type: 'sale-created', id: saleId }),
    listSales: (after, limit) => parts.engine.statusPage(after, limit),
    status: (saleId) => parts.engine.status(saleId),
    setPaused: (saleId, paused) => parts.engine.setPaused(saleId, paused),
    close: (saleId) => parts.engine.close(saleId),
    addStock: (saleId, add) => parts.engine.addStock(saleId, add),
    setQueue: (saleId, change) => parts.engine.setQueue(saleId, change),
    coachMap: (saleId, coach) => parts.engine.coachMap(saleId, coach),
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
