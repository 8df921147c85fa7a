// The "typical" baseline: what most flash-sale services look like — a node:http cluster of N workers (one per
// core) behind the same port, each with an ioredis client, and ONE script call per purchase (purchase-3.lua:
// per-user limit, stock, the order, a stream entry). No local stock, no batching, no lock.
//   node --import tsx bench/baselines/typical.ts --port 3998 --workers 2 --redis redis://127.0.0.1:6379 --sale BENCH [--wait K]
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { KEEP_ALIVE_MS, newOrderId, parsePurchase, purchaseBody, purchaseClient, send } from './purchase.js';

const { values } = parseArgs({
  options: { port: { type: 'string' }, workers: { type: 'string' }, redis: { type: 'string' }, sale: { type: 'string' }, wait: { type: 'string' } },
});
const port = Number(values.port ?? 3998);
const workers = Number(values.workers ?? 2);
const redisUrl = values.redis ?? 'redis://127.0.0.1:6379';
const sale = values.sale ?? 'BENCH';
/** --wait K: WAIT K after every purchase (the same confirmation rule as ticket-spike's --confirm-replicas K). */
const waitReplicas = Number(values.wait ?? 0);

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  // Stopped by pid: the primary takes its workers down with it (a worker also exits when the primary's IPC
  // channel closes, but an explicit kill leaves nothing to chance).
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  cluster.on('exit', () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
} else {
  const { purchase } = purchaseClient(redisUrl, sale, waitReplicas);
  const server = createServer((req, res) => {
    const parsed = parsePurchase(req, sale);
    if (parsed.kind === 'health') return send(res, 200, '{"ok":true}');
    if (parsed.kind === 'answer') return send(res, parsed.status, parsed.body);
    const orderId = newOrderId(sale);
    purchase(parsed.user, orderId).then(
      (code) => send(res, code === -4 ? 404 : 200, purchaseBody(code, orderId)),
      () => send(res, 503, '{"code":503,"msg":"redis unavailable"}'),
    );
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.listen(port, '127.0.0.1');
}
