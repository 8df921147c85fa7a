/**
 * Question: how much Redis work does reserve-batch cost per purchase, by batch size, without the noise of
 * a client-side batcher? (The figure batch-vs-single.ts depends on; use this one to iterate on lua/.)
 *
 * Run: node --import tsx bench/redis/script-cost.ts [--seconds 3] [--sizes 1,128] [--in-flight 4] [--expire]
 * For each batch size: a fresh redis-server (AOF, appendfsync always, like the embedded Redis), a sale with
 * room for everything, reserve-batch calls with distinct users kept `in-flight` at once for `seconds`.
 * Prints, per purchase: the script's own time (INFO commandstats usec of eval/evalsha), Redis main-thread
 * CPU (INFO cpu user + sys: script + AOF + network), and purchases/s. With --expire it then sweeps every
 * hold (holdSeconds 1) and prints the sweep cost per expired hold too. Prints only; writes nothing.
 */
import type { Redis } from 'ioredis';
import { loadavg } from 'node:os';
import { RedisServer } from '../../test/helpers/redis-server.js';
import { connectRedisReady } from '../../src/redis/connection.js';
import { Outcome } from '../../src/redis/codes.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const SECONDS = Number(arg('seconds', '3'));
const SIZES = arg('sizes', '1,128').split(',').map(Number);
const IN_FLIGHT = Number(arg('in-flight', '4'));
const EXPIRE = process.argv.includes('--expire');

async function stats(redis: Redis): Promise<{ usec: number; cpu: number }> {
  const cmd = await redis.info('commandstats');
  let usec = 0;
  for (const m of cmd.matchAll(/cmdstat_(eval|evalsha):calls=\d+,usec=(\d+)/g)) usec += Number(m[2]);
  const cpu = await redis.info('cpu');
  const c = Number(/used_cpu_user:([\d.]+)/.exec(cpu)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(cpu)![1]);
  return { usec, cpu: c };
}

for (const size of SIZES) {
  const server = await RedisServer.start({ args: ['--auto-aof-rewrite-percentage', '0'] });
  const redis = (await connectRedisReady(server.url, { commandTimeoutMs: 30_000 })) as Redis;
  try {
    const engine = new SaleEngine(redis);
    const sale = 'cost';
    await engine.createSale({ id: sale, total: 100_000_000, perUserLimit: 1, holdSeconds: EXPIRE ? 1 : 900, anonymous: false });
    let user = 0;
    let done = 0;
    let running = true;
    let measuring = false;
    const loops = Array.from({ length: IN_FLIGHT }, async () => {
      while (running) {
        const ps = Array.from({ length: size }, () => ({ orderId: newOrderId(sale), user: `u${user++}` }));
        const r = await engine.reserveBatch(sale, newBatchId(), ps);
        if (r.results.some((x) => x.outcome !== Outcome.Success)) throw new Error('a purchase failed');
        if (measuring) done += size;
      }
    });
    await new Promise((res) => setTimeout(res, 300));
    const s0 = await stats(redis);
    const t0 = performance.now();
    measuring = true;
    await new Promise((res) => setTimeout(res, SECONDS * 1000));
    measuring = false;
    const s1 = await stats(redis);
    const secs = (performance.now() - t0) / 1000;
    running = false;
    await Promise.all(loops);
    const per = (x: number) => (x / done).toFixed(2);
    console.log(
      `batch ${String(size).padStart(3)}: script ${per(s1.usec - s0.usec)} µs, redis cpu ${per((s1.cpu - s0.cpu) * 1e6)} µs per purchase;` +
        ` ${Math.round(done / secs)} purchases/s; load ${loadavg()[0].toFixed(2)}`,
    );
    if (EXPIRE) {
      await new Promise((res) => setTimeout(res, 1100));
      const e0 = await stats(redis);
      let expired = 0;
      for (;;) {
        const x = await engine.expireDue(sale, 1000);
        expired += x.expired;
        if (!x.more) break;
      }
      const e1 = await stats(redis);
      const audit = await engine.audit(sale);
      console.log(
        `  sweep: ${expired} holds, script ${((e1.usec - e0.usec) / expired).toFixed(2)} µs per hold; audit ${audit.ok ? 'ok' : audit.problems.slice(0, 3).join('; ')}`,
      );
    }
  } finally {
    redis.disconnect();
    await server.stop();
  }
}
