/**
 * Question: when the Redis master dies (SIGKILL) or hangs (SIGSTOP), how long until purchases succeed again, and
 * how many buyers meanwhile got an unknown outcome (503) — with a master, two replicas and three Sentinels, nodes
 * confirming on both replicas (issue 19)?
 *
 * Run: node --import tsx --conditions=ticket-spike-source bench/redis/failover-time.ts [--rounds 3] [--down-after-ms 1000] [--rate 200]
 * Per round and per fault: a fresh sale; one node (2 threads) through the Sentinels; buyers at `rate` purchases/s,
 * each a new user, each request with a 3 s timeout; the fault after 2 s; the old master started again 1 s after
 * the switch (up's supervisor would), where it becomes a replica. Reported: ms from the fault to the first success
 * after it, the longest gap between two successes, and the answers in between by kind. Prints one JSON line per
 * round and fault, then the medians.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sentinelTarget } from '../../src/rules/redis-target.js';
import { NodeProcess, http, keepAliveAgent } from '../../test/helpers/node-process.js';
import { SentinelGroup } from '../../test/helpers/redis-sentinel-group.js';

function arg(name: string, def: string): number {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i > 0 ? process.argv[i + 1] : def);
}
const ROUNDS = arg('rounds', '3');
const DOWN_AFTER_MS = arg('down-after-ms', '1000');
const RATE = arg('rate', '200');
const ADMIN = 'failover-bench-admin-token';

interface Answer {
  /** ms from the start when the purchase was sent. */
  sentAt: number;
  kind: string;
}

async function round(fault: 'kill' | 'stop', n: number): Promise<Record<string, unknown>> {
  const group = await SentinelGroup.start({ replicas: 2, downAfterMs: DOWN_AFTER_MS, args: ['--appendfsync', 'everysec'] });
  const node = await NodeProcess.start({ redisUrl: sentinelTarget(group.sentinelAddresses, group.masterName), threads: 2, env: { ADMIN_TOKEN: ADMIN }, args: ['--confirm-replicas', '2'] });
  const agent = keepAliveAgent(64);
  try {
    const sale = `F${fault}${n}`;
    await http(agent, 'POST', `${node.url}/admin/sales`, JSON.stringify({ id: sale, total: 1_000_000, perUserLimit: 1 }), {
      'content-type': 'application/json',
      authorization: `Bearer ${ADMIN}`,
    });
    await group.waitInSync();
    const answers: Answer[] = [];
    let user = 0;
    let running = true;
    const t0 = Date.now();
    const load = (async () => {
      const inFlight = new Set<Promise<void>>();
      while (running) {
        const sentAt = Date.now() - t0;
        const p = http(agent, 'GET', `${node.url}/buy/ticket?sale=${sale}&user=u${user++}`, undefined, {}, 3000)
          .then((a) => void answers.push({ sentAt, kind: a.json?.code === 1 ? 'success' : `${a.status} ${String(a.json?.error ?? a.json?.code)}` }))
          .catch(() => void answers.push({ sentAt, kind: 'no answer' }))
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        await sleep(1000 / RATE);
      }
      await Promise.all(inFlight);
    })();
    await sleep(2000);
    const old = await group.master();
    const faultAt = Date.now() - t0;
    if (fault === 'kill') await old.kill('SIGKILL');
    else process.kill(old.pid!, 'SIGSTOP');
    const next = await group.waitForNewMaster(old);
    const switchedAt = Date.now() - t0;
    await sleep(1000);
    if (fault === 'kill') await old.restart();
    else process.kill(old.pid!, 'SIGCONT');
    await sleep(8000);
    running = false;
    await load;
    // By the time each purchase was SENT: the first one sent after the fault that succeeded is when buyers could
    // buy again; everything sent between the fault and it got something else.
    const after = answers.filter((a) => a.sentAt >= faultAt).sort((a, b) => a.sentAt - b.sentAt);
    const firstSuccess = after.find((a) => a.kind === 'success');
    const successes = answers.filter((a) => a.kind === 'success').map((a) => a.sentAt).sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < successes.length; i++) gap = Math.max(gap, successes[i] - successes[i - 1]);
    const between = after.filter((a) => firstSuccess === undefined || a.sentAt < firstSuccess.sentAt);
    const kinds: Record<string, number> = {};
    for (const a of between) kinds[a.kind] = (kinds[a.kind] ?? 0) + 1;
    return {
      fault: fault === 'kill' ? 'SIGKILL master' : 'SIGSTOP master',
      round: n,
      newMaster: next.port !== old.port,
      switchMs: switchedAt - faultAt,
      firstSuccessMs: firstSuccess === undefined ? null : firstSuccess.sentAt - faultAt,
      longestGapMs: gap,
      answersMeanwhile: kinds,
    };
  } finally {
    agent.destroy();
    await node.stop();
    for (const n of group.nodes) if (n.pid !== undefined) process.kill(n.pid, 'SIGCONT');
    await group.stop();
  }
}

const rows: Record<string, unknown>[] = [];
for (let n = 0; n < ROUNDS; n++) {
  for (const fault of ['kill', 'stop'] as const) {
    const row = await round(fault, n);
    console.log(JSON.stringify(row));
    rows.push(row);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const fault of ['SIGKILL master', 'SIGSTOP master']) {
  const mine = rows.filter((r) => r.fault === fault);
  console.log(`${fault}: median switch ${median(mine.map((r) => r.switchMs as number))} ms, first success after ${median(mine.map((r) => (r.firstSuccessMs as number) ?? Infinity))} ms (Sentinel down-after ${DOWN_AFTER_MS} ms, ${RATE} purchases/s)`);
}
