// The sale registry across nodes: a capacity (--max-sales) decided in Redis so every node agrees — the sale
// past it is refused on every path with REGISTRY_FULL, every created sale is served on every node, and a sale
// whose closesAt passed gives its place and its slots back, while its orders stay readable and payable.
import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { REGISTRY_GRACE_MS } from '../../src/sale/places.js';
import { RedisServer } from '../helpers/redis-server.js';
import { NodeProcess, http, keepAliveAgent } from '../helpers/node-process.js';
import { runCli } from '../helpers/run-cli.js';

const MAX = ['--max-sales', '4'];

t.test('four places on two nodes: refused past them, served on both, freed when a sale finishes', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const env = { ADMIN_TOKEN: 'registry-admin-token' };
  const [a, b] = await Promise.all([
    NodeProcess.start({ redisUrl: redis.url, threads: 2, env, args: [...MAX, '--refresh-ms', '500'] }),
    NodeProcess.start({ redisUrl: redis.url, threads: 2, env, args: [...MAX, '--refresh-ms', '500'] }),
  ]);
  t.teardown(() => a.stop());
  t.teardown(() => b.stop());
  const nodes = [a, b];
  const agent = keepAliveAgent(8);
  t.teardown(() => agent.destroy());
  const admin = { 'content-type': 'application/json', authorization: 'Bearer registry-admin-token' };
  const create = (node: NodeProcess, sale: object) => http(agent, 'POST', `${node.url}/admin/sales`, JSON.stringify(sale), admin);
  const buy = (node: NodeProcess, sale: string, user: string) => http(agent, 'GET', `${node.url}/buy/ticket?user=${user}&sale=${sale}`);
  const cliCreate = (id: string) => runCli(['sale', 'create', '--id', id, '--total', '5', '--redis', redis.url, ...MAX]);
  const refusedEverywhere = async (t: Test, id: string) => {
    for (const node of nodes) {
      const r = await create(node, { id, total: 5 });
      t.equal(r.status, 409, `admin on ${node.port}: refused`);
      t.equal(r.json?.error, 'REGISTRY_FULL');
      t.match(r.json?.msg, /registry is full \(4\/4 live sales\).*wait for a sale to finish.*--max-sales/);
    }
    const cli = await cliCreate(id);
    t.equal(cli.code, 1, 'CLI: exit 1');
    t.match(cli.stderr, /^REGISTRY_FULL: sale \w+: the sale registry is full \(4\/4/);
  };

  // FIN is closed by the operator below, when the test is ready to watch the grace that follows (a closesAt fixed in
  // advance raced the slow steps before it on a busy machine); its hold lasts past that, so its order is paid after
  // the sale finished.
  t.equal((await create(a, { id: 'FIN', total: 3, holdSeconds: 120, closesAt: new Date(Date.now() + 3_600_000).toISOString() })).status, 201);
  let closesAt = Infinity;
  // Bought at once: the sales created below (one through the CLI, a process start) may take seconds on a busy machine.
  const held = await buy(b, 'FIN', 'early');
  t.equal(held.json?.code, 1, held.body);
  const finOrder = (held.json?.data as { orderId: string }).orderId;
  // Sell FIN out on node a, so its slot carries "sold out" and an empty quota into the next sale.
  for (const user of ['x1', 'x2']) t.equal((await buy(a, 'FIN', user)).json?.code, 1);
  t.equal((await buy(a, 'FIN', 'x3')).json?.code, -1, 'FIN sold out on a');
  t.equal((await create(b, { id: 'R2', total: 5 })).status, 201);
  t.equal((await create(a, { id: 'R3', total: 5 })).status, 201);
  const cli = await cliCreate('R4');
  t.equal(cli.code, 0, cli.stderr);

  await t.test('the fifth sale is refused on every path', (t) => refusedEverywhere(t, 'R5'));

  await t.test('every created sale is served on both nodes', async (t) => {
    for (const sale of ['R2', 'R3', 'R4']) {
      for (const node of nodes) {
        const r = await buy(node, sale, `u${node.port}`);
        t.equal(r.status, 200, `${sale} on ${node.port}: ${r.body}`);
        t.equal(r.json?.code, 1);
      }
    }
  });


  await t.test('a finished sale: closed (not 404) on both nodes, its orders read and paid', async (t) => {
    const closed = await http(agent, 'POST', `${a.url}/admin/sales/FIN/close`, undefined, admin);
    t.equal(closed.status, 200, closed.body);
    closesAt = Date.parse((closed.json?.data as { closesAt: string }).closesAt);
    await sleep(Math.max(0, closesAt + 1500 - Date.now())); // past closesAt + RETIRE_AFTER_MS: slots retired
    for (const node of nodes) {
      const r = await buy(node, 'FIN', 'late');
      t.equal(r.status, 200, `${node.port}: ${r.body}`);
      t.equal(r.json?.code, -3, 'not open');
      const order = await http(agent, 'GET', `${node.url}/orders/${finOrder}`);
      t.equal(order.status, 200, order.body);
      t.equal((order.json?.data as { status: string }).status, 'held');
    }
    const paid = await http(agent, 'POST', `${a.url}/orders/${finOrder}/pay`);
    t.equal(paid.status, 200, paid.body);
    t.equal((paid.json?.data as { status: string }).status, 'paid');
    t.equal((await http(agent, 'GET', `${b.url}/sales/FIN`)).json?.msg, 'not open');
  });

  // Right after the close, before anything slow (a process start can take seconds on a busy machine): the grace
  // is REGISTRY_GRACE_MS after closesAt, and past it R5 would be created.
  await t.test('within the grace, Redis still counts the finished sale', (t) => refusedEverywhere(t, 'R5'));

  await t.test('a node started after the sale finished answers it closed', async (t) => {
    // It never had FIN: its main thread reads it from Redis, finds it finished, gives it no slot, and its
    // threads answer it closed as well.
    const late = await NodeProcess.start({ redisUrl: redis.url, threads: 1, env, args: MAX });
    t.teardown(() => late.stop());
    const r = await buy(late, 'FIN', 'late');
    t.equal(r.json?.code, -3, `a node started after FIN finished: not open (${r.body})`);
    t.equal((await http(agent, 'GET', `${late.url}/orders/${finOrder}`)).status, 200);
  });

  await t.test('after it, a new sale takes the freed place and the freed slot on both nodes', async (t) => {
    await sleep(Math.max(0, closesAt + REGISTRY_GRACE_MS + 200 - Date.now()));
    const r = await create(b, { id: 'R5', total: 2 });
    t.equal(r.status, 201, r.body);
    for (const node of nodes) {
      const bought = await buy(node, 'R5', `n${node.port}`);
      t.equal(bought.status, 200, bought.body);
      t.equal(bought.json?.code, 1, `R5 sold on ${node.port}: nothing of FIN (closed, sold out) leaked into its slot`);
    }
    t.equal((await buy(a, 'R5', 'third')).json?.code, -1, 'and sold out when it is');
    await refusedEverywhere(t, 'R6');
    const order = await http(agent, 'GET', `${b.url}/orders/${finOrder}`);
    t.equal((order.json?.data as { status: string }).status, 'paid', 'the finished sale\'s order is still there');
  });

  await t.test('a node that cannot hold the registry capacity refuses to start', async (t) => {
    const err = await NodeProcess.start({ redisUrl: redis.url, threads: 1, env, args: ['--max-sales', '3'] }).then(
      (node) => (void node.stop(), null),
      (e: unknown) => e as Error,
    );
    t.ok(err, 'did not start');
    t.match(err?.message, /exited \(1\)/);
    t.match(err?.message, /allows 4 live sales but this node was started with --max-sales 3: start it with --max-sales 4 or more/);
  });
});
