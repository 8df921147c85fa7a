// The waiting room (issue 23) on two real nodes sharing one Redis: places unique and one per buyer under
// concurrent joins on both nodes, the pre-queue's order drawn at opensAt (no key before it, not arrival order),
// admission in place order with 0 inversions, polls answered with 0 Redis calls (INFO commandstats over 10,000
// polls), a pass refused when forged, another buyer's, another sale's or expired and single use when replayed,
// sold out reaching every waiter from memory, and the operator's switch and rate through the admin API and the CLI.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { NodeProcess, http, keepAliveAgent, pool, type HttpAnswer } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';

const TOKEN = 'queue-admin-token-16';
type Joined = { token: string; place: number | null; opensAt: number };
type Status = { state: string; place: number | null; position?: number; ahead?: number; etaSeconds?: number | null; pass?: string; passExpiresAt?: number; token?: string };

/** The JSON inside a token or pass (not verified here: the node does that). */
function payloadOf(signed: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(signed.split('.')[0], 'base64url').toString()) as Record<string, unknown>;
}

t.test('a waiting room on two nodes', { timeout: 170_000 }, async (t) => {
  const server = await RedisServer.start();
  t.teardown(() => server.stop());
  const env = { ADMIN_TOKEN: TOKEN };
  const args = ['--reconcile-ms', '100', '--refresh-ms', '0'];
  const [a, b] = await Promise.all([
    NodeProcess.start({ redisUrl: server.url, threads: 2, env, args }),
    NodeProcess.start({ redisUrl: server.url, threads: 1, env, args }),
  ]);
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const redis = (await connectRedisReady(server.url)) as Redis;
  t.teardown(() => redis.disconnect());
  const agent = keepAliveAgent(16);
  t.teardown(() => agent.destroy());
  const nodes = [a, b];
  const admin = { authorization: `Bearer ${TOKEN}` };
  const json = { 'content-type': 'application/json' };
  const create = async (body: Record<string, unknown>) => {
    const r = await http(agent, 'POST', `${a.url}/admin/sales`, JSON.stringify({ perUserLimit: 1, ...body }), { ...json, ...admin });
    if (r.status !== 201) throw new Error(`create ${String(body.id)}: ${r.status} ${r.body}`);
  };
  /** A join, retried while a node has not read the shared key yet (503 QUEUE_NOT_READY, right after start). */
  const join = async (node: NodeProcess, sale: string, user: string): Promise<HttpAnswer> => {
    for (let i = 0; ; i++) {
      const r = await http(agent, 'POST', `${node.url}/queue/${sale}/join`, JSON.stringify({ user }), json);
      if (r.status !== 503 || i > 30) return r;
      await sleep(100);
    }
  };
  const joined = (r: HttpAnswer) => r.json?.data as Joined;
  const status = (node: NodeProcess, sale: string, token: string) => http(agent, 'GET', `${node.url}/queue/${sale}/status`, undefined, { 'queue-token': token });
  const statusOf = (r: HttpAnswer) => r.json?.data as Status;
  const buy = (node: NodeProcess, sale: string, user: string, pass?: string) =>
    http(agent, 'POST', `${node.url}/buy/ticket`, JSON.stringify({ sale, user }), { ...json, ...(pass === undefined ? {} : { 'queue-pass': pass }) });
  /** Polls every token (descending places: see the inversion check) until each is admitted or `until` says stop. */
  const pollUntilAdmitted = async (sale: string, tokens: Map<string, string>, node: NodeProcess, maxRounds: number) => {
    const round = new Map<string, number>();
    const passes = new Map<string, string>();
    for (let r = 0; r < maxRounds && round.size < tokens.size; r++) {
      const waiting = [...tokens].filter(([user]) => !round.has(user));
      // One at a time, in the map's order: the inversion check relies on a round being read in that order.
      const answers = await pool(1, waiting.map(([user, token]) => () => status(node, sale, token).then((s) => [user, statusOf(s)] as const)));
      for (const [user, s] of answers) {
        if (s.token !== undefined) tokens.set(user, s.token);
        if (s.state === 'admitted') {
          round.set(user, r);
          passes.set(user, s.pass!);
        }
      }
      await sleep(300);
    }
    return { round, passes };
  };

  await t.test('the pre-queue: one place per buyer under concurrent joins on both nodes, drawn at opensAt', async (t) => {
    const opensAt = Date.now() + 6000;
    await create({ id: 'PRE', total: 1000, queue: { opensAt: new Date(opensAt).toISOString(), admitPerSecond: 40, passSeconds: 60 } });
    const users = Array.from({ length: 120 }, (_, i) => `pre${i}`);
    // Each buyer joins twice at once, once on each node. Without buyer authentication a name proves nothing: only
    // the join that made the place gets the token; the other hears ALREADY_JOINED (else anyone naming a buyer could
    // poll for their pass).
    const pairs = await pool(16, users.flatMap((user) => [() => join(a, 'PRE', user), () => join(b, 'PRE', user)]));
    const answers = users.map((_, i) => (pairs[2 * i].status === 200 ? pairs[2 * i] : pairs[2 * i + 1]));
    const seconds = users.map((_, i) => (pairs[2 * i].status === 200 ? pairs[2 * i + 1] : pairs[2 * i]));
    t.ok(answers.every((r) => r.status === 200 && typeof joined(r).token === 'string'), 'one join of each buyer got the token');
    t.ok(seconds.every((r) => r.status === 409 && r.json?.error === 'ALREADY_JOINED' && (r.json?.data as Joined).token === undefined), `the other: 409 ALREADY_JOINED without a token ${JSON.stringify(seconds.map((r) => r.status))}`);
    t.ok(Date.now() < opensAt, 'all joined before opensAt (else the test proves nothing about the pre-queue)');
    t.ok(answers.every((r) => joined(r).place === null), 'a pre-queue join has no place yet');
    const arrivals = answers.map((r) => payloadOf(joined(r).token).a as number);
    t.same([...arrivals].sort((x, y) => x - y), users.map((_, i) => i), 'arrivals 0..n-1, one per buyer');
    t.equal(await redis.hget(saleKeys('PRE').queue, 'key'), null, 'no permutation key exists before opensAt: nobody can know the order yet');
    t.equal(await redis.hlen(saleKeys('PRE').queueJoins), users.length, 'Redis holds one join per buyer');

    await sleep(Math.max(0, opensAt - Date.now()) + 800);
    t.match(await redis.hget(saleKeys('PRE').queue, 'key'), /^[0-9a-f]{32}$/, 'the key was written at the opening');
    const after = await pool(16, users.map((user, i) => () => join(nodes[i % 2], 'PRE', user)));
    const places = after.map((r) => joined(r).place);
    t.ok(places.every((p) => typeof p === 'number'), 'joining again after the opening names the place (409 ALREADY_JOINED with data.place)');
    t.same([...(places as number[])].sort((x, y) => x - y), users.map((_, i) => i), 'the places are a permutation of 0..n-1');
    const byArrival = users.map((_, i) => places[arrivals.indexOf(i)] as number);
    const fixedPoints = byArrival.filter((p, i) => p === i).length;
    t.ok(fixedPoints < 10, `the order is not arrival order (${fixedPoints} of ${users.length} kept their arrival index)`);
    // Both nodes compute the same place from a pre-queue token (each from the key in its own shared memory).
    const preToken = joined(answers[0]).token;
    const [onA, onB] = [statusOf(await status(a, 'PRE', preToken)), statusOf(await status(b, 'PRE', preToken))];
    t.equal(onA.place, onB.place, 'a pre-queue token resolves to one place on every node');
    t.equal(onA.place, places[0], 'the place the join named');

    await t.test('admission follows the places: 0 inversions', async (t) => {
      // The pre-queue tokens of the first joins: each node resolves the place (and hands back a token carrying it).
      const tokens = new Map(users.map((user, i) => [user, joined(answers[i]).token]));
      const placeOf = (user: string) => places[users.indexOf(user)] as number;
      // Descending places within a round: a larger place polled earlier saw an older (smaller) serving position,
      // so an admitted larger place with a smaller one not admitted in the same round is a real inversion.
      const sorted = new Map([...tokens].sort((x, y) => placeOf(y[0]) - placeOf(x[0])));
      const { round } = await pollUntilAdmitted('PRE', sorted, a, 60);
      t.equal(round.size, users.length, 'every polling buyer was admitted');
      let inversions = 0;
      const admitted = [...round].map(([user, r]) => [placeOf(user), r] as const);
      for (const [p, rp] of admitted) for (const [q, rq] of admitted) if (p < q && rq < rp) inversions++;
      t.equal(inversions, 0, `0 inversions among ${admitted.length} admissions`);
      t.ok(new Set(round.values()).size > 2, 'admitted over several rounds (at 40/s, not all at once)');
    });
  });

  await t.test('polls cost 0 Redis calls (INFO commandstats over 10,000 polls)', async (t) => {
    await create({ id: 'POLL', total: 10, queue: { opensAt: new Date(Date.now() + 3_600_000).toISOString(), admitPerSecond: 5 } });
    const tokens = await pool(8, Array.from({ length: 50 }, (_, i) => () => join(nodes[i % 2], 'POLL', `poller${i}`).then((r) => joined(r).token)));
    await status(a, 'POLL', tokens[0]); // the sale is known on both nodes
    await status(b, 'POLL', tokens[0]);
    const total = async () => {
      const info = await redis.info('commandstats');
      let calls = 0;
      for (const m of info.matchAll(/^cmdstat_[a-z_|]+:calls=(\d+)/gm)) calls += Number(m[1]);
      return calls;
    };
    // What the nodes do anyway in the background (ticks, reconciles, beats) over the same time, measured right before.
    const started = Date.now();
    const c0 = await total();
    const polls = await pool(32, Array.from({ length: 10_000 }, (_, i) => () => status(nodes[i % 2], 'POLL', tokens[i % tokens.length])));
    const elapsed = Date.now() - started;
    const c1 = await total();
    await sleep(elapsed);
    const c2 = await total();
    t.ok(polls.every((r) => r.status === 200 && statusOf(r).state === 'pre-queue'), 'all 10,000 polls answered');
    const duringPolls = c1 - c0 - 1;
    const idle = c2 - c1 - 1;
    // One command per poll would add 10,000; the background varies by a few tens over a few seconds.
    t.ok(duringPolls - idle < 200, `Redis commands while 10,000 polls ran: ${duringPolls}; in as long a quiet spell: ${idle} (the nodes' background only): the polls added ${Math.max(0, duringPolls - idle)}`);
  });

  await t.test('passes: refused without, forged, another buyer\'s, another sale\'s, expired; single use', async (t) => {
    await create({ id: 'PASS', total: 50, queue: { admitPerSecond: 20, passSeconds: 10 } });
    await create({ id: 'PASS2', total: 50, queue: { admitPerSecond: 20, passSeconds: 60 } });
    const users = ['alice', 'bob', 'carol'];
    const tokens = new Map<string, string>();
    for (const user of users) tokens.set(user, joined(await join(a, 'PASS', user)).token);
    const other = new Map([['dave', joined(await join(b, 'PASS2', 'dave')).token]]);
    const { passes } = await pollUntilAdmitted('PASS', tokens, b, 40);
    const { passes: otherPasses } = await pollUntilAdmitted('PASS2', other, a, 40);
    t.equal(passes.size, 3, 'all three admitted');
    const none = await buy(a, 'PASS', 'alice');
    t.equal(none.json?.code, -3, 'no pass: -3');
    t.match(none.json?.msg, /join it \(POST \/queue\/PASS\/join\)/, 'saying how to join');
    const pass = passes.get('alice')!;
    const [body, mac] = pass.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ ...payloadOf(pass), u: 'mallory' })).toString('base64url');
    for (const [what, forged, user] of [
      ['another payload under its mac', `${forgedBody}.${mac}`, 'mallory'],
      ['a changed mac', `${body}.${mac.slice(0, -2)}AA`, 'alice'],
      ['a queue token as a pass', tokens.get('alice')!, 'alice'],
      ['another sale\'s pass', otherPasses.get('dave')!, 'dave'],
    ] as const) {
      const r = await buy(b, 'PASS', user, forged);
      t.equal(r.json?.code, -3, `${what}: -3`);
      t.match(r.json?.msg, /not a pass of this sale/, `  ${r.json?.msg}`);
    }
    const stolen = await buy(a, 'PASS', 'mallory', pass);
    t.equal(stolen.json?.code, -3, "another buyer's pass: -3");
    t.match(stolen.json?.msg, /another buyer's/, `  ${stolen.json?.msg}`);
    const held0 = Number(await redis.hget(saleKeys('PASS').meta, 'held'));
    const first = await buy(a, 'PASS', 'alice', pass);
    t.equal(first.json?.code, 1, 'the pass buys');
    const replay = await buy(b, 'PASS', 'alice', pass);
    t.equal(replay.json?.code, 1, 'the same pass again (other node)...');
    t.same([(replay.json?.data as { orderId: string }).orderId, (replay.json?.data as { replayed: boolean }).replayed], [(first.json?.data as { orderId: string }).orderId, true], '  ...replays the same order');
    t.equal(Number(await redis.hget(saleKeys('PASS').meta, 'held')), held0 + 1, 'one unit held for one pass');
    const expiresAt = payloadOf(passes.get('bob')!).e as number;
    await sleep(Math.max(0, expiresAt - Date.now()) + 300);
    const late = await buy(b, 'PASS', 'bob', passes.get('bob'));
    t.equal(late.json?.code, -3, 'an expired pass: -3');
    t.match(late.json?.msg, /expired/, `  ${late.json?.msg}`);
    const again = statusOf(await status(a, 'PASS', tokens.get('bob')!));
    t.equal(again.state, 'expired', 'and polling again gives no fresh pass: the turn has passed');
    const metrics = await http(agent, 'GET', `${b.url}/metrics`);
    t.match(metrics.body, /ticket_spike_queue_passes_expired_total\{sale="PASS"[^}]*\} 1/, 'the refused expired pass is counted');
    // A node that starts now never saw bob's turn: it dates it from Redis's history, so no fresh pass there either.
    const c = await NodeProcess.start({ redisUrl: server.url, threads: 1, env, args });
    t.teardown(() => c.stop());
    let onC: Status | undefined;
    for (let i = 0; i < 30 && (onC === undefined || onC.state === 'off' || onC.state === 'waiting'); i++) {
      const r = await status(c, 'PASS', tokens.get('bob')!);
      if (r.status === 200) onC = statusOf(r);
      await sleep(100);
    }
    t.equal(onC?.state, 'expired', `a node started after bob's turn says expired too (${JSON.stringify(onC)})`);
  });

  await t.test('sold out reaches every waiter at the next poll, on every node', async (t) => {
    await create({ id: 'SOLD', total: 3, queue: { admitPerSecond: 2, passSeconds: 60 } });
    const tokens = new Map<string, string>();
    for (let i = 0; i < 30; i++) tokens.set(`w${i}`, joined(await join(nodes[i % 2], 'SOLD', `w${i}`)).token);
    // Everyone polls (a silent place would be skipped, and a skipped buyer hears that, not sold out) until the
    // first three places are admitted.
    const passes = new Map<string, string>();
    for (let round = 0; round < 60 && passes.size < 3; round++) {
      const answers = await pool(8, [...tokens].map(([user, token]) => () => status(nodes[round % 2], 'SOLD', token).then((r) => [user, statusOf(r)] as const)));
      for (const [user, s] of answers) if (s.state === 'admitted' && ['w0', 'w1', 'w2'].includes(user)) passes.set(user, s.pass!);
      await sleep(300);
    }
    t.equal(passes.size, 3, 'the first three places admitted');
    for (const [user, pass] of passes) t.equal((await buy(b, 'SOLD', user, pass)).json?.code, 1, `${user} buys`);
    await sleep(600); // a few ticks: every node's board says sold out
    const states = await pool(8, [...tokens].slice(3).flatMap(([, token]) => nodes.map((node) => () => status(node, 'SOLD', token).then((r) => statusOf(r).state))));
    t.ok(states.every((s) => s === 'sold-out'), `all 27 waiters hear sold out on both nodes: ${JSON.stringify([...new Set(states)])}`);
  });

  await t.test('a paused sale admits nobody: the line waits, and moves again on resume', async (t) => {
    await create({ id: 'PAUSEQ', total: 50, queue: { admitPerSecond: 20, passSeconds: 60 } });
    const tokens = new Map<string, string>();
    for (let i = 0; i < 5; i++) tokens.set(`p${i}`, joined(await join(nodes[i % 2], 'PAUSEQ', `p${i}`)).token);
    t.equal((await http(agent, 'POST', `${a.url}/admin/sales/PAUSEQ/pause`, undefined, admin)).status, 200, 'paused');
    const during = await pollUntilAdmitted('PAUSEQ', new Map(tokens), b, 8);
    t.equal(during.round.size, 0, 'polled for ~2.5 s while paused: nobody admitted');
    t.equal(Number(await redis.hget(saleKeys('PAUSEQ').queue, 'served')), 0, 'the position did not move');
    t.equal((await http(agent, 'POST', `${a.url}/admin/sales/PAUSEQ/resume`, undefined, admin)).status, 200, 'resumed');
    const after = await pollUntilAdmitted('PAUSEQ', new Map(tokens), b, 30);
    t.equal(after.round.size, 5, 'then all five are admitted');
  });

  await t.test('the operator: queue off takes purchases without a pass, on again wants one; the rate; CLI', async (t) => {
    await create({ id: 'OPQ', total: 20, queue: { admitPerSecond: 5 } });
    const token = joined(await join(a, 'OPQ', 'opq1')).token;
    const set = (body: unknown, headers: Record<string, string> = admin) => http(agent, 'POST', `${a.url}/admin/sales/OPQ/queue`, JSON.stringify(body), { ...json, ...headers });
    t.equal((await set({ on: false }, {})).status, 401, 'the admin token is needed');
    t.equal((await set({ on: 'no' })).status, 400, 'on must be a boolean');
    t.equal((await set({ admitPerSecond: 0 })).status, 400, 'a rate of 0 is refused');
    t.equal((await set({ speed: 3 })).status, 400, 'an unknown field is refused');
    const off = await set({ on: false });
    t.equal(off.status, 200, `queue off: ${off.body.slice(0, 200)}`);
    t.same((off.json?.data as { queue: { on: boolean } }).queue.on, false, 'the answer carries the queue after');
    await sleep(500);
    t.equal((await buy(b, 'OPQ', 'walkin')).json?.code, 1, 'off: a purchase without a pass buys (other node)');
    t.equal(statusOf(await status(b, 'OPQ', token)).state, 'off', 'a waiter hears the queue is off');
    t.equal((await join(b, 'OPQ', 'opq2')).status, 409, 'joining a switched-off queue: 409 NO_QUEUE');
    const cli = await runCli(['sale', 'queue', 'OPQ', '--on', '--rate', '7', '--redis', server.url]);
    t.equal(cli.code, 0, `ticket-spike sale queue OPQ --on --rate 7: ${cli.stdout}${cli.stderr}`);
    await sleep(500);
    t.equal((await buy(a, 'OPQ', 'walkin2')).json?.code, -3, 'on again: a pass is needed');
    const status1 = await http(agent, 'GET', `${a.url}/sales/OPQ`);
    t.match(status1.json?.data, { queue: { on: true, admitPerSecond: 7 } }, 'GET /sales/{id} shows the queue as set');
    const withQueue = await http(agent, 'POST', `${a.url}/admin/sales/ANON/queue`, JSON.stringify({ on: true }), { ...json, ...admin });
    t.equal(withQueue.status, 404, 'an unknown sale: 404');
    await create({ id: 'ANON', total: 5, anonymous: true });
    const anon = await http(agent, 'POST', `${a.url}/admin/sales/ANON/queue`, JSON.stringify({ on: true }), { ...json, ...admin });
    t.equal(anon.status, 400, `an anonymous sale cannot get a waiting room (a pass is a named buyer's): ${anon.body.slice(0, 160)}`);
    const badCreate = await http(agent, 'POST', `${a.url}/admin/sales`, JSON.stringify({ id: 'BADQ', total: 5, anonymous: true, queue: {} }), { ...json, ...admin });
    t.equal(badCreate.status, 400, 'creating an anonymous sale with a queue: 400');
    t.match(badCreate.json?.msg, /queue/, `  ${badCreate.json?.msg}`);
    // A sale opening later gets a line that opens with it, not now (passes before it would only buy "not open").
    const later = Date.now() + 3_600_000;
    await create({ id: 'LATERQ', total: 5, opensAt: new Date(later).toISOString() });
    const laterQueue = await http(agent, 'POST', `${a.url}/admin/sales/LATERQ/queue`, JSON.stringify({ on: true }), { ...json, ...admin });
    t.equal((laterQueue.json?.data as { queue: { opensAt: number } }).queue.opensAt, Math.floor(later), 'a line given to a sale opening later opens with the sale');
    const opens = Date.now() + 3_600_000;
    const early = await http(agent, 'POST', `${a.url}/admin/sales`, JSON.stringify({ id: 'EARLYQ', total: 5, opensAt: new Date(opens).toISOString(), queue: { opensAt: new Date(opens - 60_000).toISOString() } }), { ...json, ...admin });
    t.equal(early.status, 400, `a line that opens before its sale: 400 (${early.json?.msg})`);
  });
});
