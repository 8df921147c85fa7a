// A train sale under the chaos cluster's faults (test/chaos/cluster.ts: three nodes behind nginx, Redis behind a
// drop proxy): buyers of random trips through nginx while a node is killed, Redis is killed and paused, a batch's
// reply is dropped and the scripts are flushed. Then: the seat book recounted from the orders has no problem (no
// seat-segment sold twice, F and availability agree with the seats), and every seat a buyer was told is theirs
// is an order Redis holds with exactly those seats.
import t from 'tap';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChaosCluster } from '../chaos/chaos.js';
import { Rng } from '../chaos/rng.js';
import { connectRedis, whenReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { seatCatalogue, type TrainConfig } from '../../src/rules/train-config.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { readSeatBook, recountSeats } from '../../src/sale/seat-audit.js';
import { parseSeatItem } from '../../src/sale/trip.js';

const STATIONS = Array.from({ length: 8 }, (_, i) => `S${i}`);
const train: TrainConfig = {
  stations: STATIONS,
  // Room for ~800 orders of the demand below: it sells through the whole run of faults, not out before them.
  coaches: Array.from({ length: 6 }, (_, i) => ({ coach: `0${i + 1}`, class: 'second', seats: 100, layout: 'ABC DF' })),
};

interface Told {
  orderId: string;
  seats: Array<{ coach: string; seat: string; from: string; to: string }>;
}

t.test('a train sale keeps its seats through node, Redis and reply faults', { timeout: 180_000 }, async (t) => {
  const cluster = await startChaosCluster(3);
  t.teardown(() => cluster.stop());
  const admin = connectRedis(cluster.auditorUrl, { commandTimeoutMs: 5000, name: 'train-chaos' }) as Redis;
  admin.on('error', () => {});
  t.teardown(() => admin.disconnect());
  await whenReady(admin, 5000);
  const engine = new SaleEngine(admin);
  await engine.createSale({ id: 'TCHAOS', perUserLimit: 5, holdSeconds: 3600, anonymous: false, train } as never);

  const rng = new Rng(20261206);
  const told: Told[] = [];
  const counts = { ok: 0, soldOut: 0, unavailable: 0, other: 0, failed: 0 };
  let stop = false;
  let buyer = 0;
  const worker = async () => {
    while (!stop) {
      const from = rng.int(0, STATIONS.length - 2);
      const to = rng.int(from + 1, STATIONS.length - 1);
      const passengers = rng.int(1, 3);
      const url = `${cluster.url}/buy/ticket?sale=TCHAOS&user=tc-${buyer++}&from=${STATIONS[from]}&to=${STATIONS[to]}&class=second&passengers=${passengers}`;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as { code?: number; data?: Told };
        if (res.status === 200 && body.code === 1 && body.data !== undefined) {
          counts.ok++;
          told.push({ orderId: body.data.orderId, seats: body.data.seats });
        } else if (res.status === 200 && body.code === -1) counts.soldOut++;
        else if (res.status === 503) counts.unavailable++;
        else counts.other++;
      } catch {
        counts.failed++;
      }
      await sleep(rng.int(20, 80));
    }
  };
  const workers = Array.from({ length: 6 }, worker);
  const faults: string[] = [];
  const injectFaults = async () => {
    await sleep(500);
    await cluster.killNode(1, 800);
    faults.push('node 2 killed for 800 ms');
    await sleep(400);
    await cluster.pauseRedis(1500);
    faults.push('Redis SIGSTOPped for 1500 ms');
    await sleep(400);
    cluster.single().proxy.dropNextReply(2, 'tc-');
    await sleep(2200);
    faults.push('two purchase batch replies dropped');
    await cluster.killRedis(500);
    faults.push('Redis killed, restarted on its AOF after 500 ms');
    await sleep(400);
    // The admin connection refuses commands while it reconnects after the kill (no offline queue).
    await whenReady(admin, 10_000);
    await admin.script('FLUSH');
    faults.push('SCRIPT FLUSH');
    await sleep(1000);
  };
  try {
    await injectFaults();
  } finally {
    // The buyers stop whatever a fault threw: a test that failed must not also hang.
    stop = true;
    await Promise.all(workers);
  }
  t.comment(`${JSON.stringify(counts)}; faults: ${faults.join('; ')}`);
  t.ok(counts.ok > 200, `buyers got seats all along (${counts.ok})`);

  await whenReady(admin, 10_000);
  const catalogue = seatCatalogue(train);
  const recount = recountSeats(await readSeatBook(admin, 'TCHAOS', catalogue, STATIONS.length - 1));
  t.same(recount.problems, [], 'the seat book agrees with the orders: no seat-segment sold twice');
  const [held, paid] = (await admin.hmget(saleKeys('TCHAOS').meta, 'held', 'paid')).map(Number);
  t.same([held, paid], [recount.heldUnits, recount.paidUnits], 'the counters are the orders\' seat-segments');
  const lost: string[] = [];
  for (const { orderId, seats } of told) {
    const [enc, item] = await Promise.all([admin.hget(saleKeys('TCHAOS').orders, orderId), admin.hget(saleKeys('TCHAOS').items, orderId)]);
    const kept = parseSeatItem(item);
    const named = kept?.seats.map((i) => ({ coach: catalogue[i].coach, seat: catalogue[i].label, from: STATIONS[kept.from], to: STATIONS[kept.to] }));
    if (enc === null || !enc.startsWith('held|') || JSON.stringify(named) !== JSON.stringify(seats)) lost.push(`${orderId}: told ${JSON.stringify(seats)}, Redis has ${enc?.slice(0, 5) ?? 'nothing'} ${JSON.stringify(named)}`);
  }
  t.same(lost, [], `every one of the ${told.length} seats buyers were told is theirs in Redis, as told`);
});
