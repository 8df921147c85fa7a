// What both Redis baselines (typical.ts, article.ts) share: the purchase script on an ioredis client, the keys
// of a baseline sale, the request parsing and the answers — so that the two differ only in their process
// shape and locking, which is what they are there to measure.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';

const LUA = readFileSync(new URL('./purchase-3.lua', import.meta.url), 'utf8');
const USER = /^[A-Za-z0-9_.:@-]{1,64}$/;

export interface BaselineKeys {
  meta: string;
  orders: string;
  stream: string;
}

/** A baseline sale's keys; one hash tag, like ticket-spike's, so nothing here is cheaper on Cluster. */
export function baselineKeys(sale: string): BaselineKeys {
  return { meta: `{base:${sale}}:meta`, orders: `{base:${sale}}:orders`, stream: `{base:${sale}}:stream` };
}

/** Creates (or resets) a sale: total tickets, nothing sold. */
export async function createBaselineSale(redis: Redis, sale: string, total: number): Promise<void> {
  const k = baselineKeys(sale);
  await redis.del(k.meta, k.orders, k.stream);
  await redis.hset(k.meta, 'total', total, 'sold', 0);
}

export type PurchaseCode = 1 | -1 | -2 | -4;
export type Purchase = (user: string, orderId: string) => Promise<PurchaseCode>;

/** An ioredis client (defaults, like most services) with the script as one EVALSHA per call. */
/**
 * `waitReplicas` > 0: each purchase is followed by WAIT on the same connection (one pipeline), as ticket-spike's
 * confirmation rule does, so a comparison with replicas gives both the same durability; fewer replicas in 500 ms
 * is an error (the purchase is answered 503).
 */
export function purchaseClient(url: string, sale: string, waitReplicas = 0): { redis: Redis; purchase: Purchase } {
  const redis = new Redis(url);
  redis.defineCommand('purchase', { numberOfKeys: 3, lua: LUA });
  const k = baselineKeys(sale);
  const call = (redis as unknown as { purchase(...args: string[]): Promise<number> }).purchase.bind(redis);
  if (waitReplicas === 0) return { redis, purchase: async (user, orderId) => (await call(k.meta, k.orders, k.stream, user, orderId)) as PurchaseCode };
  return {
    redis,
    purchase: async (user, orderId) => {
      const pipeline = redis.pipeline() as unknown as { purchase(...args: string[]): unknown; call(...args: (string | number)[]): unknown; exec(): Promise<[Error | null, unknown][] | null> };
      pipeline.purchase(k.meta, k.orders, k.stream, user, orderId);
      pipeline.call('WAIT', waitReplicas, 500);
      const [[err, code], [, acked]] = (await pipeline.exec()) as [[Error | null, unknown], [Error | null, unknown]];
      if (err !== null) throw err;
      if (Number(acked) < waitReplicas) throw new Error(`reached ${String(acked)} of ${waitReplicas} replicas`);
      return code as PurchaseCode;
    },
  };
}

/** 128 random bits, like ticket-spike's order ids: the baseline pays the same for unguessable ids. */
export function newOrderId(sale: string): string {
  return `${sale}.${randomBytes(16).toString('base64url')}`;
}

export type Parsed = { kind: 'buy'; user: string } | { kind: 'health' } | { kind: 'answer'; status: number; body: string };

/** GET /buy/ticket?user=U&sale=S for the one sale this baseline serves; /healthz; anything else is answered. */
export function parsePurchase(req: IncomingMessage, sale: string): Parsed {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/healthz') return { kind: 'health' };
  if (url.pathname !== '/buy/ticket') return { kind: 'answer', status: 404, body: '{"code":404,"msg":"no such route"}' };
  if ((url.searchParams.get('sale') ?? sale) !== sale) return { kind: 'answer', status: 404, body: '{"code":404,"msg":"unknown sale"}' };
  const user = url.searchParams.get('user') ?? '';
  if (user !== '' && !USER.test(user)) return { kind: 'answer', status: 400, body: '{"code":400,"msg":"bad user"}' };
  return { kind: 'buy', user };
}

const MSG: Record<PurchaseCode, string> = { 1: 'success', [-1]: 'sold out', [-2]: 'user limit reached', [-4]: 'unknown sale' };

/** The answer shape ticket-spike gives ({"code","msg","data"}), so the load scripts count both alike. */
export function purchaseBody(code: PurchaseCode, orderId: string): string {
  return code === 1 ? JSON.stringify({ code, msg: MSG[code], data: { orderId } }) : JSON.stringify({ code, msg: MSG[code] });
}

export function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** uWS closes idle connections after 10 s; node:http after 5 s — the same as nginx's upstream keepalive_timeout,
 *  which races a closing socket (502). The baselines keep uWS's 10 s, like the nodes. */
export const KEEP_ALIVE_MS = 10_000;
