/**
 * Question: how full does a train get before it sells out, by allocation policy? One demand stream (a mix of
 * short and long trips, one passenger each, in one class) fed in order to: best fit, first fit and random seat
 * choice (bench/seats/models.ts), a per-pair-counter design like nageoffer/12306's, and ticket-spike itself
 * (lua/includes/seats.lua through SaleEngine on a real redis-server: its best fit, in batches of 64). Fill =
 * seat-segments sold / seat-segments offered once the demand is spent (--demand: 1.5x and 4x what the train
 * could carry).
 *
 * Run: node --import tsx --conditions=ticket-spike-source bench/seats/fill.ts [--seeds 5] [--demand 1.5,4] [--coaches 16] [--stations 20]
 * Prints a table (median over the seeds, and min-max); writes nothing.
 */
import type { Redis } from 'ioredis';
import { RedisServer } from '../../test/helpers/redis-server.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { Outcome } from '../../src/redis/codes.js';
import { seatCatalogue, type TrainConfig } from '../../src/rules/train-config.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { Rng } from '../../test/chaos/rng.js';
import { tripOf } from './demand.js';
import { PairCounters, SeatModel, type Policy } from './models.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const SEEDS = Number(arg('seeds', '5'));
/** Demand as a multiple of what the train could carry if every trip fitted perfectly. */
const DEMANDS = arg('demand', '1.5,4').split(',').map(Number);
const COACHES = Number(arg('coaches', '16'));
const STATIONS = Number(arg('stations', '20'));
const S = STATIONS - 1;

function demand(seed: number, count: number): Array<[number, number]> {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => tripOf(rng, S));
}

const train: TrainConfig = {
  stations: Array.from({ length: STATIONS }, (_, i) => `S${String(i).padStart(2, '0')}`),
  coaches: Array.from({ length: COACHES }, (_, i) => ({ coach: String(i + 1).padStart(2, '0'), class: 'second', seats: 90, layout: 'ABC DF' })),
};
const catalogue = seatCatalogue(train);
const offered = catalogue.length * S;

const server = await RedisServer.start({ args: ['--appendonly', 'no'] });
const redis = (await connectRedisReady(server.url, { commandTimeoutMs: 30_000 })) as Redis;
const engine = new SaleEngine(redis);

let sales = 0;
async function viaRedis(trips: Array<[number, number]>): Promise<number> {
  const id = `FILL${++sales}`;
  await engine.createSale({ id, perUserLimit: 1, holdSeconds: 3600, anonymous: true, train } as never);
  let units = 0;
  for (let i = 0; i < trips.length; i += 64) {
    const batch = trips.slice(i, i + 64).map(([from, to]) => ({ orderId: newOrderId(id), user: '', trip: { from, to, class: 'second', passengers: 1 } }));
    const reply = await engine.reserveBatch(id, newBatchId(), batch);
    reply.results.forEach((r, j) => {
      if (r.outcome === Outcome.Success) units += batch[j].trip.to - batch[j].trip.from;
    });
  }
  return units;
}

const rows = new Map<string, number[]>();
const add = (name: string, units: number) => rows.set(name, [...(rows.get(name) ?? []), units / offered]);
// The mean trip is ~0.7 x 2 + 0.3 x 14 = 5.6 segments at 20 stations: trips = factor x offered / mean.
const meanTrip = demand(0, 10_000).reduce((n, [a, b]) => n + b - a, 0) / 10_000;
for (const factor of DEMANDS) for (let seed = 1; seed <= SEEDS; seed++) {
  const trips = demand(seed, Math.ceil((factor * offered) / meanTrip));
  const at = (name: string) => `${name}, demand ${factor}x`;
  for (const policy of ['best-fit', 'first-fit', 'random'] as Policy[]) {
    const choices = new Rng(seed * 7919);
    const model = new SeatModel(catalogue, S, policy, () => choices.next());
    let units = 0;
    for (const [a, b] of trips) if (model.take('second', a, b) >= 0) units += b - a;
    add(at(`${policy} (model)`), units);
  }
  const pairs = new PairCounters({ second: catalogue.length }, S);
  let units = 0;
  for (const [a, b] of trips) if (pairs.take('second', a, b)) units += b - a;
  add(at('per-pair counters (nageoffer)'), units);
  add(at('ticket-spike (Redis, best fit)'), await viaRedis(trips));
}
redis.disconnect();
await server.stop();

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
console.log(`fill at sell-out: ${COACHES} coaches x 90 seats, ${STATIONS} stations, ${SEEDS} demand seeds (70 % trips of 1-3 segments, 30 % of half the route or more; mean ${meanTrip.toFixed(1)} segments)`);
console.log('| allocation | fill (median) | min-max |');
console.log('|---|---|---|');
for (const [name, fills] of rows) {
  const sorted = [...fills].sort((a, b) => a - b);
  console.log(`| ${name} | ${pct(sorted[Math.floor(sorted.length / 2)])} | ${pct(sorted[0])}-${pct(sorted[sorted.length - 1])} |`);
}
