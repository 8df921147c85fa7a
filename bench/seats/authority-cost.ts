/**
 * Question: what does Redis spend per purchase of a train seat (lua/includes/seats.lua: best fit among free
 * stretches, the seat book written per batch) against a counter purchase, batch for batch? No node, no HTTP:
 * the script alone, on a redis-server with AOF and appendfsync always like the embedded one.
 *
 * Run: node --import tsx --conditions=ticket-spike-source bench/seats/authority-cost.ts [--rounds 2] [--batches 30] [--batch 128]
 * Rounds alternate the order (counter, train, train, counter, ...). Each train round is a fresh train of
 * 16 coaches x 90 seats and 20 stations fed the demand mix of bench/seats/fill.ts (it does not sell out within
 * a round); each counter round a fresh counter sale that cannot sell out. Prints, per kind, the script time
 * (INFO commandstats) and Redis CPU (user + sys) per purchase, and the successes; writes nothing.
 */
import type { Redis } from 'ioredis';
import { RedisServer } from '../../test/helpers/redis-server.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { Outcome } from '../../src/redis/codes.js';
import type { TrainConfig } from '../../src/rules/train-config.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import type { PurchaseRequest } from '../../src/sale/types.js';
import { Rng } from '../../test/chaos/rng.js';
import { tripOf } from './demand.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const ROUNDS = Number(arg('rounds', '2'));
const BATCHES = Number(arg('batches', '30'));
const BATCH = Number(arg('batch', '128'));
const STATIONS = 20;
const S = STATIONS - 1;

const train: TrainConfig = {
  stations: Array.from({ length: STATIONS }, (_, i) => `S${String(i).padStart(2, '0')}`),
  coaches: Array.from({ length: 16 }, (_, i) => ({ coach: String(i + 1).padStart(2, '0'), class: 'second', seats: 90, layout: 'ABC DF' })),
};

const rng = new Rng(12345);
function trip(): { from: number; to: number } {
  const [from, to] = tripOf(rng, S);
  return { from, to };
}

async function stats(redis: Redis): Promise<{ usec: number; cpu: number }> {
  const cmd = await redis.info('commandstats');
  let usec = 0;
  for (const m of cmd.matchAll(/cmdstat_(eval|evalsha):calls=\d+,usec=(\d+)/g)) usec += Number(m[2]);
  const cpu = await redis.info('cpu');
  return { usec, cpu: Number(/used_cpu_user:([\d.]+)/.exec(cpu)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(cpu)![1]) };
}

const server = await RedisServer.start({ args: ['--auto-aof-rewrite-percentage', '0'] });
const redis = (await connectRedisReady(server.url, { commandTimeoutMs: 30_000 })) as Redis;
const engine = new SaleEngine(redis);
const totals = { counter: { usec: 0, cpu: 0, n: 0, ok: 0 }, train: { usec: 0, cpu: 0, n: 0, ok: 0 } };
let sales = 0;
for (let round = 0; round < 2 * ROUNDS; round++) {
  const kind = (round % 4 === 0 || round % 4 === 3) ? 'counter' : 'train';
  const id = `AC${++sales}`;
  if (kind === 'train') await engine.createSale({ id, perUserLimit: 1, holdSeconds: 3600, anonymous: false, train } as never);
  else await engine.createSale({ id, total: 100_000_000, perUserLimit: 1, holdSeconds: 3600, anonymous: false });
  const before = await stats(redis);
  for (let b = 0; b < BATCHES; b++) {
    const purchases: PurchaseRequest[] = Array.from({ length: BATCH }, (_, i) => {
      const p: PurchaseRequest = { orderId: newOrderId(id), user: `u${b}-${i}` };
      if (kind === 'train') p.trip = { ...trip(), class: 'second', passengers: 1 };
      return p;
    });
    const reply = await engine.reserveBatch(id, newBatchId(), purchases);
    totals[kind].ok += reply.results.filter((r) => r.outcome === Outcome.Success).length;
  }
  const after = await stats(redis);
  totals[kind].usec += after.usec - before.usec;
  totals[kind].cpu += after.cpu - before.cpu;
  totals[kind].n += BATCHES * BATCH;
}
redis.disconnect();
await server.stop();
console.log(`Redis per purchase, batches of ${BATCH}, ${ROUNDS} rounds of ${BATCHES} batches per kind (train: 16 x 90 seats, ${STATIONS} stations)`);
console.log('| sale | script µs / purchase | Redis CPU µs / purchase | successes | train / counter (script) |');
console.log('|---|---|---|---|---|');
for (const kind of ['counter', 'train'] as const) {
  const t = totals[kind];
  const ratio = (totals[kind].usec / totals[kind].n) / (totals.counter.usec / totals.counter.n);
  console.log(`| ${kind} | ${(t.usec / t.n).toFixed(2)} | ${((t.cpu * 1e6) / t.n).toFixed(2)} | ${t.ok} of ${t.n} | ${ratio.toFixed(2)}x |`);
}
