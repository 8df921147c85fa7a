// ticket-spike under test: its own Redis, the sale, N `ticket-spike node` processes from the built JavaScript
// (as `npm start` runs them: under tsx the uWS threads would carry the loader's hooks), nginx in front when
// the layout says so. Its books are the project's own audit (src/sale/engine.ts audit()).
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/helpers/free-port.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { startChild, stopChild, waitHttp, type Child } from './children.js';
import { startFront, type Front } from './front.js';
import { startRedis } from './redis.js';
import { describeLayout, type Books, type Layout, type RunningSystem, type SaleSpec } from './system.js';
import { ROOT } from './paths.js';

/** Held for the whole run: the bench measures selling, not expiry. */
const HOLD_SECONDS = 3600;

export async function startTicketSpike(layout: Layout, sale: SaleSpec, workDir: string, nginxWorkers: number): Promise<RunningSystem> {
  const redis = await startRedis();
  const engine = new SaleEngine(await connectRedisReady(redis.server.url));
  const nodes: Child[] = [];
  let front: Front | undefined;
  const stopServers = async () => {
    await front?.stop();
    await Promise.all(nodes.map((node) => stopChild(node, 10_000)));
  };
  const stop = async () => {
    await stopServers();
    engine.redis.disconnect();
    await redis.stop();
  };
  try {
    await engine.createSale({ id: sale.id, total: sale.stock, perUserLimit: 1, holdSeconds: HOLD_SECONDS, anonymous: sale.anonymous });
    const totalWeight = layout.weights.slice(0, layout.nodes).reduce((a, b) => a + b, 0);
    const ports: number[] = [];
    for (let i = 0; i < layout.nodes; i++) {
      const port = await freePort();
      const weight = layout.nginx ? layout.weights[i] : 1;
      const args = [
        'dist/src/cli/main.js', 'node', '--port', String(port), '--threads', String(layout.threads), '--redis', redis.server.url,
        '--id', `node-${i + 1}`, '--weight', String(weight), '--total-weight', String(layout.nginx ? totalWeight : 1),
        '--default-sale', sale.id, '--log-level', 'warn',
      ];
      nodes.push(startChild(`ticket-spike node ${i + 1}`, process.execPath, args, join(workDir, `ts-node-${port}.log`), ROOT));
      ports.push(port);
    }
    await Promise.all(nodes.map((node, i) => waitHttp(node, `http://127.0.0.1:${ports[i]}/readyz`)));
    if (layout.nginx) front = await startFront(ports, layout.weights, nginxWorkers);
    return {
      system: 'ticket-spike',
      url: front?.url ?? `http://127.0.0.1:${ports[0]}`,
      layout: describeLayout('ticket-spike', layout),
      redis: redis.client,
      serverPids: nodes.map((n) => n.proc.pid!),
      redisPid: redis.server.pid,
      stopServers,
      books: () => ticketSpikeBooks(engine, sale.id),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The audit of a quiet sale (the nodes drained their last purchases when they were stopped). */
async function ticketSpikeBooks(engine: SaleEngine, saleId: string): Promise<Books> {
  let report = await engine.audit(saleId, { pageSize: 5000 });
  for (let i = 0; i < 5 && report.moving; i++) {
    await sleep(1000);
    report = await engine.audit(saleId, { pageSize: 5000 });
  }
  const problems = [...report.problems];
  if (!report.closes) problems.push(`accounting does not close: remaining ${report.remaining} + held ${report.countedHeld} + paid ${report.countedPaid} != total ${report.total}`);
  if (report.moving) problems.push('the sale was still moving 5 s after its nodes stopped');
  return {
    sold: report.held + report.paid,
    ok: report.ok && problems.length === 0,
    problems,
    detail: {
      held: report.held, paid: report.paid, cancelled: report.cancelled, remaining: report.remaining, orders: report.orders,
      streamOrders: report.streamOrders, holders: report.holders, closes: report.closes,
    },
  };
}
