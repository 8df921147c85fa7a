// Issue 19: when the Redis a node talks to is another server — a failover, or a restart that lost the last
// writes — what the node read from the old one (sold-out flags, orders seen, holder filters) must not answer
// buyers. Here Redis restarts from an older copy of its data: the sold-out sale's three purchases are gone. The
// node notices the new server (its run_id changed), drops what it keeps in memory for every sale and re-reads
// it, and sells again. The reconciler is off (--reconcile-ms 0), so only the switch handling can make the node
// read the sale again: without it the node answers "sold out" from memory for good.
import t from 'tap';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeProcess, http, keepAliveAgent } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';

t.test('Redis comes back without the sold-out sale\'s purchases: the node re-reads it and sells again', { timeout: 90_000 }, async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const ADMIN = 'switch-admin-token-16';
  const node = await NodeProcess.start({ redisUrl: redis.url, threads: 2, env: { ADMIN_TOKEN: ADMIN }, args: ['--reconcile-ms', '0', '--sweep-ms', '0'] });
  t.teardown(() => node.stop());
  const agent = keepAliveAgent(4);
  t.teardown(() => agent.destroy());
  const created = await http(agent, 'POST', `${node.url}/admin/sales`, JSON.stringify({ id: 'SW', total: 3, perUserLimit: 1 }), {
    'content-type': 'application/json',
    authorization: `Bearer ${ADMIN}`,
  });
  t.equal(created.status, 201, created.body);
  // The data as it is now (the sale, no purchase): what the server will come back with.
  const before = mkdtempSync(join(tmpdir(), 'ts-switch-'));
  t.teardown(() => rmSync(before, { recursive: true, force: true }));
  cpSync(redis.dir, before, { recursive: true });
  const buy = (user: string) => http(agent, 'GET', `${node.url}/buy/ticket?sale=SW&user=${user}`);
  for (const user of ['a', 'b', 'c']) t.equal((await buy(user)).json?.code, 1, `${user} buys`);
  t.equal((await buy('d')).json?.code, -1, 'sold out');
  await sleep(300); // the node reads who holds what in the sold-out sale
  t.equal((await buy('e')).json?.code, -1, 'sold out, from memory');
  await redis.kill('SIGKILL');
  rmSync(redis.dir, { recursive: true, force: true });
  cpSync(before, redis.dir, { recursive: true });
  await redis.restart();
  let code: number | undefined;
  const seen: string[] = [];
  for (let i = 0; i < 60 && code !== 1; i++) {
    const a = await buy(`after${i}`);
    code = a.json?.code;
    seen.push(String(code ?? a.json?.error));
    if (code !== 1) await sleep(200);
  }
  t.equal(code, 1, `the node sells again, not "sold out" from what it read before (answers: ${seen.join(' ')})`);
  t.match(node.output, /Redis is another server now/, 'and says why it re-read');
  if (code !== 1) t.comment(node.output.slice(-2500));
  const status = await http(agent, 'GET', `${node.url}/sales/SW`);
  t.match(status.json?.data, { total: 3, held: 1 }, 'the server knows one hold: the one just made');
});
