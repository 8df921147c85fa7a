// The baselines under test (bench/baselines/): hello (uWS threads answering a constant), typical (node:http
// cluster + one script per purchase) and article (one process, a lock across each script call). Each Redis
// baseline gets its own Redis with the same flags as ticket-spike's; nginx in front when the layout says so.
import { join } from 'node:path';
import { freePort } from '../../test/helpers/free-port.js';
import { createBaselineSale } from '../baselines/purchase.js';
import { baselineBooks } from './baseline-books.js';
import { startChild, stopChild, waitHttp, type Child } from './children.js';
import { startFront, type Front } from './front.js';
import { ROOT } from './paths.js';
import { startRedis, type BenchRedis } from './redis.js';
import { describeLayout, type Layout, type RunningSystem, type SaleSpec, type SystemName } from './system.js';

type Baseline = Exclude<SystemName, 'ticket-spike'>;

function command(system: Baseline, port: number, layout: Layout, sale: SaleSpec, redisUrl: string): string[] {
  const tsx = ['--import', 'tsx'];
  switch (system) {
    case 'hello':
      return [...tsx, 'bench/baselines/hello.ts', '--port', String(port), '--threads', String(layout.threads)];
    case 'typical':
      return [...tsx, 'bench/baselines/typical.ts', '--port', String(port), '--workers', String(layout.threads), '--redis', redisUrl, '--sale', sale.id];
    case 'article':
      return [...tsx, 'bench/baselines/article.ts', '--port', String(port), '--redis', redisUrl, '--sale', sale.id, '--stock', String(sale.stock)];
  }
}

export async function startBaseline(system: Baseline, layout: Layout, sale: SaleSpec, workDir: string, nginxWorkers: number): Promise<RunningSystem> {
  // The article is one process by design; typical is one cluster per node.
  const nodeCount = system === 'article' ? 1 : layout.nodes;
  const redis: BenchRedis | undefined = system === 'hello' ? undefined : await startRedis();
  const nodes: Child[] = [];
  let front: Front | undefined;
  const stopServers = async () => {
    await front?.stop();
    await Promise.all(nodes.map((node) => stopChild(node)));
  };
  const stop = async () => {
    await stopServers();
    await redis?.stop();
  };
  try {
    if (redis) await createBaselineSale(redis.client, sale.id, sale.stock);
    const ports: number[] = [];
    for (let i = 0; i < nodeCount; i++) {
      const port = await freePort();
      const args = command(system, port, layout, sale, redis?.server.url ?? '');
      nodes.push(startChild(`${system} ${i + 1}`, process.execPath, args, join(workDir, `${system}-${port}.log`), ROOT));
      ports.push(port);
    }
    const ready = system === 'hello' ? '/buy/ticket' : '/healthz';
    await Promise.all(nodes.map((node, i) => waitHttp(node, `http://127.0.0.1:${ports[i]}${ready}`)));
    if (layout.nginx) front = await startFront(ports, system === 'article' ? [1] : layout.weights, nginxWorkers);
    return {
      system,
      url: front?.url ?? `http://127.0.0.1:${ports[0]}`,
      layout: describeLayout(system, system === 'article' ? { ...layout, nodes: 1 } : layout),
      redis: redis?.client,
      serverPids: nodes.map((n) => n.proc.pid!),
      redisPid: redis?.server.pid,
      stopServers,
      books: async () => (redis ? baselineBooks(redis.client, sale.id) : { sold: 0, ok: true, problems: [], detail: { note: 'sells nothing: the ceiling' } }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
