/**
 * The waiting room under a crowd (issue 23). Questions:
 *  (1) how many position polls per second does one node answer — a signature check and a shared-memory read —
 *      against the uWS hello ceiling on the same machine, and how many joins (one Redis script each)?
 *  (2) a crowd of --buyers (default 1,000,000) arriving through nginx over two nodes: all join in the pre-queue,
 *      the line opens, the buyers near the front poll as the page does while a wrk crowd polls everyone: the
 *      join and poll latency p99, Redis commands per buyer, and the admitted rate against the target.
 *
 * Run: npm run build && node --import tsx --conditions=ticket-spike-source bench/queue/arrival.ts
 *        [--buyers 1000000] [--rate 200] [--seconds 5] [--measure 30]
 * One redis-server (AOF, appendfsync always), `ticket-spike node`s of 1 thread each (2 threads for (1)), the hello
 * baseline (2 threads), nginx (the project's template, the per-address limit off: every wrk connection is one
 * address), wrk. Everything on this machine: the figures are of one 2-core box running all of it.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'node:http';
import { freePort } from '../../test/helpers/free-port.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { QueueOrder } from '../../src/sale/queue-order.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { startChild, stopAllChildren, waitHttp } from '../lib/children.js';
import { startFront } from '../lib/front.js';
import { ROOT } from '../lib/paths.js';
import { startRedis } from '../lib/redis.js';
import { runWrk } from '../lib/run-wrk.js';
import type { LoadResult } from '../lib/load-result.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const BUYERS = Number(arg('buyers', '1000000'));
const RATE = Number(arg('rate', '200'));
const SECONDS = Number(arg('seconds', '5'));
const MEASURE_S = Number(arg('measure', '30'));

const work = mkdtempSync(join(tmpdir(), 'ts-queue-arrival-'));
const redis = await startRedis();
const client = await connectRedisReady(redis.server.url);
const engine = new SaleEngine(client);
const commands = async () => {
  const info = await client.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_[a-z_|]+:calls=(\d+)/gm)) calls += Number(m[1]);
  return calls;
};
/** EVALSHA/EVAL calls: what a join or a poll costs in round trips (commandstats also counts the commands scripts run). */
const scripts = async () => {
  const info = await client.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(evalsha|eval|evalsha_ro|eval_ro|fcall):calls=(\d+)/gm)) calls += Number(m[2]);
  return calls;
};
const rate = (r: LoadResult) => r.answered / r.seconds;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const node = async (name: string, threads: number) => {
  const port = await freePort();
  const child = startChild(name, process.execPath, ['dist/src/cli/main.js', 'node', '--port', String(port), '--threads', String(threads), '--redis', redis.server.url, '--id', name, '--log-level', 'warn', '--refresh-ms', '1000'], join(work, `${name}.log`), ROOT);
  await waitHttp(child, `http://127.0.0.1:${port}/readyz`);
  return port;
};
const createQueued = async (id: string, opensAt: number, admitPerSecond: number) =>
  engine.createSale({ id, total: 10_000_000, perUserLimit: 1, holdSeconds: 3600, anonymous: false, queue: { opensAt, preQueueFrom: null, admitPerSecond, passSeconds: 120, on: true } });
/** Joins `perThread` x 2 new buyers with wrk; their tokens go to files under `work` (one per wrk thread). */
const joinCrowd = (url: string, sale: string, perThread: number, prefix: string) =>
  runWrk({ url, script: 'queue', args: ['join', sale, prefix.replace(/\W/g, ''), String(perThread), join(work, prefix)], threads: 2, connections: 100, seconds: 600, budgetPerThread: perThread });
const tokenFile = (prefix: string) => {
  const files = readdirSync(work).filter((f) => f.startsWith(`${prefix}-`));
  const all = files.map((f) => readFileSync(join(work, f), 'utf8')).join('');
  const path = join(work, `${prefix}.all`);
  rmSync(path, { force: true });
  return { path, text: all };
};

// ---- (1) one node: polls against hello, joins ----
const direct = await node('poll-node', 2);
const helloPort = await freePort();
const hello = startChild('hello', process.execPath, ['--import', 'tsx', 'bench/baselines/hello.ts', '--port', String(helloPort), '--threads', '2'], join(work, 'hello.log'), ROOT);
await waitHttp(hello, `http://127.0.0.1:${helloPort}/buy/ticket`);
await createQueued('POLLS', Date.now() + 3_600_000, 100);
await fetch(`http://127.0.0.1:${direct}/sales/POLLS`);
await sleep(1500); // the node has read the queue's key
const joins = await joinCrowd(`http://127.0.0.1:${direct}`, 'POLLS', 10_000, 'polls');
const { path: pollTokens, text: pollText } = tokenFile('polls');
(await import('node:fs')).writeFileSync(pollTokens, pollText);
const polls: Record<'poll' | 'hello', LoadResult[]> = { poll: [], hello: [] };
for (let round = 0; round < 4; round++) {
  const which = round === 0 || round === 3 ? 'poll' : 'hello';
  const url = which === 'hello' ? `http://127.0.0.1:${helloPort}/queue/POLLS/status` : `http://127.0.0.1:${direct}/queue/POLLS/status`;
  polls[which].push(await runWrk({ url, script: 'queue', args: ['poll', 'POLLS', pollTokens, '10000'], threads: 2, connections: 100, seconds: SECONDS }));
}
await stopAllChildren();

// ---- (2) the crowd through nginx ----
const ports = [await node('arrival-a', 1), await node('arrival-b', 1)];
const front = await startFront(ports, [1, 1], 1);
const perThread = Math.ceil(BUYERS / 2);
// The line opens when the crowd has joined: its time estimated from (1)'s join rate through the extra hop, with margin.
const joinSeconds = Math.ceil((BUYERS / Math.max(1000, rate(joins))) * 2) + 10;
const opensAt = Date.now() + joinSeconds * 1000;
await createQueued('CROWD', opensAt, RATE);
await fetch(`${front.url}/sales/CROWD`);
await sleep(1500);
const c0 = await commands();
const s0 = await scripts();
const crowdJoins = await joinCrowd(front.url, 'CROWD', perThread, 'crowd');
const joinedAt = Date.now();
const c1 = await commands();
const s1 = await scripts();
const k = saleKeys('CROWD');
const pre = Number(await client.hget(k.queue, 'pre'));
const late = Number((await client.hget(k.queue, 'late')) ?? 0);
const { path: crowdTokens, text: crowdText } = tokenFile('crowd');
(await import('node:fs')).writeFileSync(crowdTokens, crowdText);
await sleep(Math.max(0, opensAt - Date.now()) + 1000);
const key = await client.hget(k.queue, 'key');
if (key === null) throw new Error('the line did not open');
// Place -> token, computed with the key as every node does (the bench's front poller plays the buyers near the front).
const order = new QueueOrder(key, pre);
const byPlace = new Map<number, string>();
for (const token of crowdText.split('\n')) {
  if (token === '') continue;
  const p = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { p: number | null; a: number | null };
  byPlace.set(p.p ?? order.placeOf(p.a!), token);
}
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const poll = (token: string) =>
  new Promise<void>((resolve) => {
    const req = request(`${front.url}/queue/CROWD/status`, { agent, headers: { 'queue-token': token } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', () => resolve());
    req.end();
  });
let polling = true;
let frontPolls = 0;
const frontPoller = (async () => {
  while (polling) {
    const started = Date.now();
    const served = Number((await client.hget(k.queue, 'served')) ?? 0);
    const due: string[] = [];
    for (let p = served; p < served + RATE * 20 && p < pre + late; p++) due.push(byPlace.get(p)!);
    for (let i = 0; i < due.length; i += 32) await Promise.all(due.slice(i, i + 32).map(poll));
    frontPolls += due.length;
    await sleep(Math.max(0, 2000 - (Date.now() - started)));
  }
})();
await sleep(10_000); // the opening's first ripeness: the line moves at its pace from here
const admitted0 = Number(await client.hget(k.queue, 'admitted'));
const t0 = Date.now();
const c2 = await commands();
const s2 = await scripts();
const crowdPolls = await runWrk({ url: `${front.url}/queue/CROWD/status`, script: 'queue', args: ['poll', 'CROWD', crowdTokens, String(Math.min(perThread, 200_000))], threads: 2, connections: 200, seconds: MEASURE_S });
const c3 = await commands();
const s3 = await scripts();
const admitted1 = Number(await client.hget(k.queue, 'admitted'));
const t1 = Date.now();
polling = false;
await frontPoller;
agent.destroy();
await front.stop();
await stopAllChildren();
client.disconnect();
await redis.stop();
rmSync(work, { recursive: true, force: true });

console.log(`(1) one node of 2 threads against the uWS hello baseline (2 threads), ${SECONDS} s per run, 100 connections, ABBA`);
console.log('| server | answers/s | p99 ms | ratio to hello |');
console.log('|---|---|---|---|');
const helloRate = median(polls.hello.map(rate));
for (const which of ['poll', 'hello'] as const) {
  console.log(`| ${which === 'hello' ? 'uWS hello' : 'GET /queue/{sale}/status'} | ${median(polls[which].map(rate)).toFixed(0)} | ${median(polls[which].map((r) => r.latencyMs.p99)).toFixed(1)} | ${(median(polls[which].map(rate)) / helloRate).toFixed(2)}x |`);
}
console.log(`joins (POST /queue/{sale}/join, one script per thread and turn), 20,000 new buyers, 100 connections: ${rate(joins).toFixed(0)}/s, p99 ${joins.latencyMs.p99.toFixed(1)} ms`);
console.log(`\n(2) ${BUYERS} buyers through nginx over 2 nodes of 1 thread each`);
console.log(`joins: ${crowdJoins.answered} answered (${crowdJoins.counts?.ok ?? 0} ok) in ${crowdJoins.seconds.toFixed(1)} s = ${rate(crowdJoins).toFixed(0)}/s, p99 ${crowdJoins.latencyMs.p99.toFixed(1)} ms; pre-queue ${pre}, late ${late}; finished ${((opensAt - joinedAt) / 1000).toFixed(0)} s before the opening`);
console.log(`Redis during the joins: ${s1 - s0} script calls = ${((s1 - s0) / BUYERS).toFixed(3)} per buyer (${((c1 - c0) / BUYERS).toFixed(2)} commands per buyer, counting those the scripts run, the nodes' ticks included)`);
console.log(`polls (wrk, ${Math.min(perThread, 200_000) * 2} buyers' tokens, 200 connections, ${MEASURE_S} s): ${rate(crowdPolls).toFixed(0)}/s, p99 ${crowdPolls.latencyMs.p99.toFixed(1)} ms, 5xx ${crowdPolls.counts?.http5xx ?? 0}; plus the front's ${frontPolls} polls`);
console.log(`Redis during ${crowdPolls.answered + frontPolls} polls: ${s3 - s2} script calls, ${c3 - c2} commands — the nodes' ticks and reconciles (4 per second per node per sale), not the polls: ${((c3 - c2) / (crowdPolls.answered + frontPolls)).toFixed(4)} commands per poll`);
console.log(`admitted: ${admitted1 - admitted0} in ${((t1 - t0) / 1000).toFixed(1)} s = ${((admitted1 - admitted0) / ((t1 - t0) / 1000)).toFixed(1)}/s against the target ${RATE}/s (${(((admitted1 - admitted0) / ((t1 - t0) / 1000) / RATE) * 100).toFixed(1)} %)`);
