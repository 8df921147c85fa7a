// Issue 19: `up --redis-replicas 2` runs a master, two replicas and three Sentinels as supervised children (in
// up.json's one list), the nodes confirm a write once both replicas have it, and a master that hangs past the
// Sentinels' down-after is replaced: purchases succeed again once it is back as a replica, the order sold before is
// still there. A SIGKILLed up leaves none of them running (the watchdog stops Sentinels and data nodes), and the
// next up starts on the same topology and data.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { UpState } from '../../src/launcher/state.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { alive, hammer, removeVarDir, UpProcess } from '../helpers/up-process.js';

const ARGS = ['--weights', '1', '--demo-total', '100', '--redis-replicas', '2', '--redis-down-after-ms', '1000'];

function ports(state: UpState, role: 'redis' | 'sentinel'): Array<{ name: string; pid: number; port: number }> {
  return state.children
    .filter((c) => c.role === role)
    .map((c) => ({ name: c.name, pid: c.pid, port: Number(/:(\d+)$/.exec(c.cmdlineHas[1] ?? '')?.[1]) }));
}

async function ask(port: number, password: string, ...args: string[]): Promise<unknown> {
  const client = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0], ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

async function buy(up: UpProcess, user: string): Promise<{ code?: number; orderId?: string; status: number }> {
  const [a] = await hammer(up.port, () => `/buy/ticket?user=${user}`, { requests: 1, concurrency: 1 });
  return { code: a?.body?.code, orderId: a?.body?.data?.orderId, status: a?.status ?? 0 };
}

t.test('up with two replicas and three Sentinels', { timeout: 120_000 }, async (t) => {
  const varDir = mkdtempSync(join(tmpdir(), 'ts-up-replicas-'));
  t.teardown(() => removeVarDir(varDir));
  const up = await UpProcess.start({ nodes: 1, args: ARGS, varDir });
  t.teardown(() => up.killAll());
  const state = up.state();
  const password = readFileSync(join(varDir, 'redis.password'), 'utf8').trim();
  const data = ports(state, 'redis');
  const sentinels = ports(state, 'sentinel');
  t.same(data.map((d) => d.name), ['redis', 'redis-replica-1', 'redis-replica-2'], 'three data nodes in up.json');
  t.equal(sentinels.length, 3, 'three Sentinels in up.json');
  t.match(up.stdout, /redis\s+3 data nodes .*all 2 replicas/, 'the summary says how writes are confirmed');
  t.match(state.redisUrl, /^redis-sentinel:\/\/:[^@]+@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/ticket-spike$/, 'the nodes reach the master through the Sentinels');
  t.notMatch(up.stdout, new RegExp(password), 'the password is not printed');
  t.match(await ask(data[1].port, password, 'ROLE'), ['slave'], 'a replica');

  const first = await buy(up, 'before');
  t.equal(first.code, 1, 'a purchase, confirmed on both replicas');

  // The master hangs (no supervisor restart: the process lives): the Sentinels promote a replica; confirmations
  // wait until the old master is back as a replica (both replicas must have a write).
  const master = data[0];
  process.kill(master.pid, 'SIGSTOP');
  let promoted = '';
  for (let i = 0; i < 100 && promoted === ''; i++) {
    const addr = (await ask(sentinels[0].port, password, 'SENTINEL', 'get-master-addr-by-name', 'ticket-spike').catch(() => [])) as string[];
    if (addr[1] !== undefined && Number(addr[1]) !== master.port) promoted = addr[1];
    else await sleep(100);
  }
  t.not(promoted, '', `the Sentinels promoted a replica (${promoted})`);
  process.kill(master.pid, 'SIGCONT');
  let after: Awaited<ReturnType<typeof buy>> = { status: 0 };
  for (let i = 0; i < 150 && after.code !== 1; i++) {
    after = await buy(up, `after${i}`);
    if (after.code !== 1) await sleep(200);
  }
  t.equal(after.code, 1, 'purchases succeed again once the old master is back as a replica');
  let role: unknown;
  for (let i = 0; i < 50 && !(Array.isArray(role) && role[0] === 'slave'); i++) {
    role = await ask(master.port, password, 'ROLE').catch(() => null);
    if (!(Array.isArray(role) && role[0] === 'slave')) await sleep(200);
  }
  t.match(role, ['slave'], 'the old master came back as a replica');
  const [order] = await hammer(up.port, () => `/orders/${first.orderId}`, { requests: 1, concurrency: 1 });
  t.equal(order?.status, 200, 'the order confirmed before the failover is there');

  // up SIGKILLed: the watchdog stops the Sentinels and every data node too.
  const pids = [...data, ...sentinels].map((c) => c.pid);
  await up.stop('SIGKILL');
  let left = pids;
  for (let i = 0; i < 100 && left.length > 0; i++) {
    left = alive(pids);
    if (left.length > 0) await sleep(100);
  }
  t.same(left, [], 'no Sentinel or data node outlives a SIGKILLed up');

  const again = await UpProcess.start({ nodes: 1, args: ARGS, varDir });
  t.teardown(() => again.stop());
  t.same(ports(again.state(), 'redis').map((d) => d.port), data.map((d) => d.port), 'the same topology (ports) again');
  const [read] = await hammer(again.port, () => `/orders/${first.orderId}`, { requests: 1, concurrency: 1 });
  t.equal(read?.status, 200, 'and the same data');
  t.equal((await buy(again, 'third-run')).code, 1, 'it sells');
});
