/**
 * Questions: (1) how fast does a node sell a train — 16 coaches x 90 seats, 20 stations — against a counter sale
 * of the same size (1,440 seats), the same buyers, in one run; (2) how many availability answers per second does
 * a node give from its shared memory, against the uWS hello ceiling?
 *
 * Run: npm run build && node --import tsx --conditions=ticket-spike-source bench/seats/train-load.ts [--rounds 2] [--buyers 12000] [--seconds 4]
 * One redis-server (AOF, appendfsync always), one `ticket-spike node` (2 threads) and the hello baseline (2
 * threads). (1) per round a fresh train and a fresh counter sale, alternated ABBA: wrk (2 threads, 100
 * connections) sends `--buyers` new buyers — each a trip of bench/seats/fill.ts's mix on the train, a plain
 * purchase on the counter — and stops when all are answered. (2) wrk `--seconds` against
 * GET /sales/<train>/availability?from=S03&to=S15 and against hello, alternated. Prints tables; writes nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/helpers/free-port.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import type { TrainConfig } from '../../src/rules/train-config.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { startChild, stopAllChildren, waitHttp } from '../lib/children.js';
import { ROOT } from '../lib/paths.js';
import { startRedis } from '../lib/redis.js';
import { runWrk } from '../lib/run-wrk.js';
import type { LoadResult } from '../lib/load-result.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const ROUNDS = Number(arg('rounds', '2'));
const BUYERS = Number(arg('buyers', '12000'));
const SECONDS = Number(arg('seconds', '4'));
const STATIONS = 20;
const train: TrainConfig = {
  stations: Array.from({ length: STATIONS }, (_, i) => `S${String(i).padStart(2, '0')}`),
  coaches: Array.from({ length: 16 }, (_, i) => ({ coach: String(i + 1).padStart(2, '0'), class: 'second', seats: 90, layout: 'ABC DF' })),
};

const work = mkdtempSync(join(tmpdir(), 'ts-train-load-'));
const redis = await startRedis();
const engine = new SaleEngine(await connectRedisReady(redis.server.url));
const nodePort = await freePort();
const helloPort = await freePort();
const node = startChild('ticket-spike node', process.execPath, ['dist/src/cli/main.js', 'node', '--port', String(nodePort), '--threads', '2', '--redis', redis.server.url, '--id', 'train-load', '--log-level', 'warn'], join(work, 'node.log'), ROOT);
const hello = startChild('hello', process.execPath, ['--import', 'tsx', 'bench/baselines/hello.ts', '--port', String(helloPort), '--threads', '2'], join(work, 'hello.log'), ROOT);
await waitHttp(node, `http://127.0.0.1:${nodePort}/readyz`);
await waitHttp(hello, `http://127.0.0.1:${helloPort}/buy/ticket`);
const nodeUrl = `http://127.0.0.1:${nodePort}`;

type Kind = 'counter' | 'train' | 'counter, room for all';
const KINDS: Kind[] = ['counter', 'train', 'counter, room for all'];
let made = 0;
async function sale(kind: Kind): Promise<string> {
  const id = `${kind === 'train' ? 'T' : 'C'}${++made}`;
  if (kind === 'train') await engine.createSale({ id, perUserLimit: 1, holdSeconds: 3600, anonymous: false, train } as never);
  else await engine.createSale({ id, total: kind === 'counter' ? 16 * 90 : BUYERS + 10, perUserLimit: 1, holdSeconds: 3600, anonymous: false });
  // The node learns a sale on its first purchase; one warm-up buyer does it outside the measurement.
  await fetch(`${nodeUrl}/buy/ticket?sale=${id}&user=warm${made}${kind === 'train' ? '&from=S00&to=S01&class=second' : ''}`);
  await sleep(300);
  return id;
}

const sold = new Map<Kind, LoadResult[]>(KINDS.map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) for (const kind of round % 2 === 0 ? KINDS : [...KINDS].reverse()) {
  const id = await sale(kind);
  const budget = Math.ceil(BUYERS / 2);
  sold.get(kind)!.push(
    await runWrk({ url: nodeUrl, script: 'buyers', args: [id, `r${round}`, 'user', String(budget), kind === 'train' ? String(STATIONS) : '0'], threads: 2, connections: 100, seconds: 60, budgetPerThread: budget }),
  );
}
const avail: Record<'availability' | 'hello', LoadResult[]> = { availability: [], hello: [] };
const trainId = await sale('train');
for (let round = 0; round < 2 * ROUNDS; round++) {
  const which = round % 4 === 0 || round % 4 === 3 ? 'availability' : 'hello';
  const url = which === 'hello' ? `http://127.0.0.1:${helloPort}/sales/x/availability?from=S03&to=S15` : `${nodeUrl}/sales/${trainId}/availability?from=S03&to=S15`;
  avail[which].push(await runWrk({ url, script: 'fixed', args: [], threads: 2, connections: 100, seconds: SECONDS }));
}
await stopAllChildren();
engine.redis.disconnect();
await redis.stop();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`(1) ${BUYERS} new buyers per round, 100 connections, one node of 2 threads; ${ROUNDS} rounds, the order alternated`);
console.log('| sale | answers/s | sold (orders) | sold/s | sold out | p99 ms |');
console.log('|---|---|---|---|---|---|');
for (const kind of KINDS) {
  const rs = sold.get(kind)!;
  const cell = (f: (r: LoadResult) => number, digits = 0) => median(rs.map(f)).toFixed(digits);
  console.log(`| ${kind} | ${cell((r) => r.answered / r.seconds)} | ${cell((r) => r.counts?.ok ?? 0)} | ${cell((r) => (r.counts?.ok ?? 0) / r.seconds)} | ${cell((r) => r.counts?.soldOut ?? 0)} | ${cell((r) => r.latencyMs.p99, 1)} |`);
}
console.log(`(2) ${SECONDS} s per run, 100 connections, ${ROUNDS} runs each, ABBA`);
console.log('| server | answers/s | p99 ms | ratio to hello |');
console.log('|---|---|---|---|');
const helloRate = median(avail.hello.map((r) => r.answered / r.seconds));
for (const which of ['availability', 'hello'] as const) {
  const rate = median(avail[which].map((r) => r.answered / r.seconds));
  console.log(`| ${which === 'hello' ? 'uWS hello' : 'GET /sales/{id}/availability?from&to'} | ${rate.toFixed(0)} | ${median(avail[which].map((r) => r.latencyMs.p99)).toFixed(1)} | ${(rate / helloRate).toFixed(2)}x |`);
}
