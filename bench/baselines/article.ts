// The "article" baseline: the design of the well-known Go flash-sale demo, in Node — ONE process, a local stock
// counter, and a lock (the demo's `done` channel; here an async mutex) held across the local deduction AND the
// Redis script of every purchase, so purchases are decided one Redis round trip at a time. Fixed defects: the
// off-by-one (`total > sold`, purchase-3.lua), the Redis connection leaked per request (one client here), the
// log file opened per request (no log). The per-user limit (1) is the baselines' shared script's.
//   node --import tsx bench/baselines/article.ts --port 3997 --redis redis://127.0.0.1:6379 --sale BENCH --stock 10000
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { KEEP_ALIVE_MS, newOrderId, parsePurchase, purchaseBody, purchaseClient, send, type PurchaseCode } from './purchase.js';

const { values } = parseArgs({
  options: { port: { type: 'string' }, redis: { type: 'string' }, sale: { type: 'string' }, stock: { type: 'string' } },
});
const port = Number(values.port ?? 3997);
const sale = values.sale ?? 'BENCH';
const localStock = Number(values.stock ?? 10_000);
const { purchase } = purchaseClient(values.redis ?? 'redis://127.0.0.1:6379', sale);

/** A FIFO async mutex: each holder runs after the previous one settles (the demo's channel of size 1). */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(critical: () => Promise<T>): Promise<T> {
    const result = this.tail.then(critical);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const lock = new Mutex();
let localSold = 0;

/** The demo's handler body: local deduction first (sold out here = no Redis), then the remote one. */
async function buy(user: string, orderId: string): Promise<PurchaseCode> {
  localSold += 1;
  if (localSold > localStock) return -1;
  try {
    const code = await purchase(user, orderId);
    // The demo keeps the local unit whatever Redis said; a refused purchase (user limit) would strand it.
    if (code !== 1) localSold -= 1;
    return code;
  } catch (err) {
    localSold -= 1;
    throw err;
  }
}

const server = createServer((req, res) => {
  const parsed = parsePurchase(req, sale);
  if (parsed.kind === 'health') return send(res, 200, '{"ok":true}');
  if (parsed.kind === 'answer') return send(res, parsed.status, parsed.body);
  const orderId = newOrderId(sale);
  lock.run(() => buy(parsed.user, orderId)).then(
    (code) => send(res, code === -4 ? 404 : 200, purchaseBody(code, orderId)),
    () => send(res, 503, '{"code":503,"msg":"redis unavailable"}'),
  );
});
server.keepAliveTimeout = KEEP_ALIVE_MS;
server.listen(port, '127.0.0.1');
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
