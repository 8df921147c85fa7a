/**
 * Question: what does "confirmed means replicated" cost the sale path (issue 19)? Committed purchases/s and p99 at
 * 100 and 400 connections, side by side in one run, for three layouts of the authority:
 *   one Redis, appendfsync always          (today: a confirmed sale survives a restart of that Redis)
 *   master + 2 replicas, everysec, WAIT 2  (survives the loss of any one host; ~1 s at risk if all three lose power)
 *   master + 2 replicas, always, WAIT 2    (both)
 * and the "typical" baseline (bench/baselines/typical.ts) given the same replicas and the same WAIT per purchase.
 *
 * Run: node --import tsx --conditions=ticket-spike-source bench/redis/replication-cost.ts [--seconds 10] [--connections 100,400]
 * Every run: a fresh Redis layout, one ticket-spike node (2 threads, --confirm-replicas 2 with replicas) or the
 * typical server (2 workers, --wait 2), a sale that never runs out, wrk with bench/wrk/buyers.lua (each purchase a
 * new buyer), 2 s of warm-up load first. Committed/s = successes / seconds. Prints a table and writes
 * bench/results/redis-replication-cost.json. The machine is shared (2 cores for everything): compare within a run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { runWrk } from '../lib/run-wrk.js';
import { createBaselineSale } from '../baselines/purchase.js';
import { NodeProcess, http } from '../../test/helpers/node-process.js';
import { RedisServer } from '../../test/helpers/redis-server.js';
import { SentinelGroup } from '../../test/helpers/redis-sentinel-group.js';
import { freePort } from '../../test/helpers/free-port.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const SECONDS = Number(arg('seconds', '10'));
const CONNECTIONS = arg('connections', '100,400').split(',').map(Number);
const ADMIN = 'replication-bench-admin-token';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Layout {
  name: string;
  replicas: number;
  fsync: 'always' | 'everysec';
}
const LAYOUTS: Layout[] = [
  { name: 'one Redis, always', replicas: 0, fsync: 'always' },
  { name: 'master + 2 replicas, everysec, WAIT 2', replicas: 2, fsync: 'everysec' },
  { name: 'master + 2 replicas, always, WAIT 2', replicas: 2, fsync: 'always' },
];

async function startLayout(l: Layout): Promise<{ url: string; stop(): Promise<void> }> {
  const args = ['--appendfsync', l.fsync];
  if (l.replicas === 0) {
    const server = await RedisServer.start({ args });
    return { url: server.url, stop: () => server.stop() };
  }
  const group = await SentinelGroup.start({ replicas: l.replicas, sentinels: 0, args });
  return { url: group.nodes[0].url, stop: () => group.stop() };
}

async function startTypical(redisUrl: string, wait: number): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/baselines/typical.ts', '--port', String(port), '--workers', '2', '--redis', redisUrl, '--sale', 'RC', '--wait', String(wait)],
    { cwd: ROOT, stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if ((await http(undefined, 'GET', `${url}/healthz`).catch(() => ({ status: 0 }))).status === 200) break;
    await sleep(100);
  }
  return { url, stop: async () => void child.kill('SIGTERM') };
}

const rows: Record<string, unknown>[] = [];
let run = 0;
for (const layout of LAYOUTS) {
  for (const system of ['ticket-spike', 'typical'] as const) {
    for (const connections of CONNECTIONS) {
      const redisLayout = await startLayout(layout);
      const redis = new Redis(redisLayout.url);
      let server: { url: string; stop(): Promise<void> };
      if (system === 'ticket-spike') {
        const node = await NodeProcess.start({
          redisUrl: redisLayout.url, threads: 2, env: { ADMIN_TOKEN: ADMIN },
          args: ['--confirm-replicas', String(layout.replicas), '--buyer-rate', '0', '--log-level', 'error'],
        });
        await http(undefined, 'POST', `${node.url}/admin/sales`, JSON.stringify({ id: 'RC', total: 100_000_000, perUserLimit: 1 }), {
          'content-type': 'application/json', authorization: `Bearer ${ADMIN}`,
        });
        server = { url: node.url, stop: () => node.stop().then(() => undefined) };
      } else {
        await createBaselineSale(redis, 'RC', 100_000_000);
        server = await startTypical(redisLayout.url, layout.replicas);
      }
      try {
        await runWrk({ url: `${server.url}/buy/ticket?sale=RC`, script: 'buyers', args: ['RC', `w${run++}`], threads: 2, connections, seconds: 2 });
        const r = await runWrk({ url: `${server.url}/buy/ticket?sale=RC`, script: 'buyers', args: ['RC', `m${run++}`], threads: 2, connections, seconds: SECONDS });
        const row = {
          layout: layout.name, system, connections,
          committedPerSecond: Math.round((r.counts?.ok ?? 0) / r.seconds),
          answeredPerSecond: Math.round(r.answered / r.seconds),
          p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99, errors: r.socketErrors + r.non2xx,
        };
        console.log(JSON.stringify(row));
        rows.push(row);
      } finally {
        await server.stop();
        redis.disconnect();
        await redisLayout.stop();
      }
    }
  }
}

console.log('\n| layout | system | connections | committed/s | p99 ms | vs one Redis (same system, connections) |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const base = rows.find((b) => b.layout === LAYOUTS[0].name && b.system === r.system && b.connections === r.connections);
  const ratio = base === undefined ? '' : `${((r.committedPerSecond as number) / (base.committedPerSecond as number)).toFixed(2)}×`;
  console.log(`| ${String(r.layout)} | ${String(r.system)} | ${String(r.connections)} | ${String(r.committedPerSecond)} | ${String(r.p99Ms)} | ${ratio} |`);
}
const dir = join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'redis-replication-cost.json'), JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, cpus: cpus().length, loadavg: loadavg(), rows }, null, 2) + '\n');
