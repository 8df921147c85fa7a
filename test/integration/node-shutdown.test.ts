import t from 'tap';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { SaleEngine } from '../../src/sale/engine.js';
import { saleKeys } from '../../src/redis/keys.js';
import { RedisServer } from '../helpers/redis-server.js';
import { NodeProcess, http, keepAliveAgent, type HttpAnswer } from '../helpers/node-process.js';

// SIGTERM in the middle of a purchase load: the node exits 0, every success it answered is in Redis, and no
// purchase that Redis recorded went unanswered (a request cut off without an answer must have bought nothing).
t.test('SIGTERM during load: exit 0, no confirmed purchase lost, no accepted purchase cut off', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const node = await NodeProcess.start({
    redisUrl: redis.url,
    threads: 2,
    // A wide batch window keeps purchases in flight at the moment the signal lands.
    args: ['--batch-window-ms', '100', '--stat-log', `${redis.dir}/stat.log`],
    env: { ADMIN_TOKEN: 'term-admin-token-16' },
  });
  t.teardown(() => node.stop());
  const agent = keepAliveAgent(100);
  t.teardown(() => agent.destroy());
  const created = await http(agent, 'POST', `${node.url}/admin/sales`, JSON.stringify({ id: 'TERM', total: 100000 }), {
    'content-type': 'application/json',
    authorization: 'Bearer term-admin-token-16',
  });
  t.equal(created.status, 201);

  let n = 0;
  let stop = false;
  const answers: Array<[string, HttpAnswer]> = [];
  const cutOff: string[] = [];
  const cutOffWhy: string[] = [];
  const client = async () => {
    while (!stop) {
      const user = `t${n++}`;
      try {
        answers.push([user, await http(agent, 'GET', `${node.url}/buy/ticket?user=${user}&sale=TERM`, undefined, {}, 5000)]);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ECONNREFUSED') stop = true; // the node is gone: nothing more to send
        else {
          cutOff.push(user); // sent, no answer: must not have bought anything (checked below)
          cutOffWhy.push(code ?? (err as Error).message);
        }
      }
    }
  };
  const clients = Array.from({ length: 100 }, client);
  await sleep(800);
  const before = answers.length;
  node.child.kill('SIGTERM');
  const code = await node.wait();
  await sleep(100);
  stop = true;
  await Promise.all(clients);

  // On failure, the node's own last words say why (CI has nothing else to go by).
  t.equal(code, 0, `exit code 0 (the node's log ends:\n${node.output.slice(-3000)})`);
  t.ok(before > 100, `load was running (${before} answers before the signal)`);
  const successes = answers.filter(([, a]) => a.status === 200 && a.json?.code === 1);
  const odd = answers.filter(([, a]) => !(a.status === 200 && a.json?.code === 1) && a.status !== 503);
  t.equal(odd.length, 0, `answers are successes or 503 (${odd.slice(0, 2).map(([, a]) => a.body).join('; ')})`);

  const client2 = await connectRedisReady(redis.url);
  t.teardown(() => client2.disconnect());
  const engine = new SaleEngine(client2);
  let lost = 0;
  for (const [user, a] of successes) {
    const order = await engine.getOrder((a.json?.data as { orderId: string }).orderId);
    if (order === null || order.user !== user) lost++;
  }
  t.equal(lost, 0, `all ${successes.length} confirmed purchases are in Redis`);
  // Holders hash: user -> "n|orderId" for everyone Redis sold to.
  const holders = saleKeys('TERM').holders;
  let boughtButCutOff = 0;
  for (const user of cutOff) if ((await client2.hget(holders, user)) !== null) boughtButCutOff++;
  t.equal(boughtButCutOff, 0, 'no purchase recorded in Redis was left unanswered');
  // Answers during the drain carry Connection: close and the listen sockets close first, so a request goes
  // unanswered only where TCP gives the node no say: a connection still in a closed listen socket's backlog, or
  // a kept-alive connection that sat idle through the drain and is closed as a request crosses it — both reset
  // (ECONNRESET) before the node read a byte, so nothing was bought (above) and a client may send it again.
  // Never a hang: a request the node read is answered.
  const notReset = cutOffWhy.filter((why) => why !== 'ECONNRESET');
  t.same(notReset, [], `every request without an answer was reset, none left hanging (${cutOff.length} reset)`);
  const held = Number(await client2.hget(saleKeys('TERM').meta, 'held'));
  t.equal(held, successes.length, 'Redis sold exactly what the node confirmed');
  // The stat log was flushed on the way out: one success line per unit Redis sold, written in batches.
  const lines = readFileSync(`${redis.dir}/stat.log`, 'utf8').split('\n').filter((line) => line.includes('\tTERM\tsuccess\t'));
  t.equal(lines.length, held, 'the stat log has one success line per sold unit (flushed at shutdown)');
  const audit = await engine.audit('TERM');
  t.ok(audit.ok, 'audit closes');
});

// A SIGTERM that lands while the node is still starting (its threads may already answer /readyz) is a graceful
// stop once the node is up — exit 0 — not the signal's default action, which would end it with no drain and no
// exit code. Redis is held stopped so that the start is still under way (its Redis check waits) when it lands.
t.test('SIGTERM during start: the node finishes starting, then stops gracefully with exit 0', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const redisPid = redis.pid;
  if (redisPid === undefined) throw new Error('redis-server has no pid');
  process.kill(redisPid, 'SIGSTOP');
  t.teardown(() => process.kill(redisPid, 'SIGCONT'));
  const node = await NodeProcess.spawn({ redisUrl: redis.url, threads: 1 });
  t.teardown(() => node.stop());
  // Logged by the main thread at the very start of run-node, before Redis is asked anything.
  await node.waitForOutput('no ticket key directory', 30_000);
  node.child.kill('SIGTERM');
  const code = await node.wait();
  t.equal(code, 0, `exit code 0, not killed by the signal (the node's log ends:\n${node.output.slice(-2000)})`);
  t.match(node.output, /SIGTERM while starting/, 'the node said it would stop once up');
});
