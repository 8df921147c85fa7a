// The buyer's contract, as a buyer (and an attacker) meets it through nginx and straight at the nodes: a retry
// gets its order back even when the sale is sold out, "sold out" only when it is, replays tell the order's
// state, orders cannot be guessed, and an unknown outcome says how to find out.
import t from 'tap';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { NginxProcess } from '../helpers/nginx.js';
import { NodeProcess, http, keepAliveAgent, pool, type HttpAnswer } from '../helpers/node-process.js';
import { RedisServer, scriptCalls } from '../helpers/redis-server.js';

const TOKEN = 'contract-admin-token';
const json = { 'content-type': 'application/json' };
const admin = { ...json, authorization: `Bearer ${TOKEN}` };

t.test('the buyer contract', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  // Two nodes on one Redis, two threads each, weights 1 and 3 (so each node's own quota is a part of the stock).
  // The background loops are off: every script call Redis counts is a purchase, a pay or a node's own read
  // of who holds what, and no reconciler refills a quota behind the test's back.
  const nodes = await Promise.all(
    [1, 3].map((weight) =>
      NodeProcess.start({
        redisUrl: redis.url,
        threads: 2,
        args: ['--weight', String(weight), '--total-weight', '4', '--deadline-ms', '600', '--reconcile-ms', '0', '--sweep-ms', '0', '--refresh-ms', '0'],
        env: { ADMIN_TOKEN: TOKEN },
      }),
    ),
  );
  t.teardown(() => Promise.all(nodes.map((n) => n.stop())));
  const nginx = await NginxProcess.start({ upstreams: nodes.map((n, i) => ({ host: '127.0.0.1', port: n.port, weight: i === 0 ? 1 : 3 })) });
  t.teardown(() => nginx.stop());
  const agent = keepAliveAgent(64);
  t.teardown(() => agent.destroy());
  const create = async (sale: Record<string, unknown>) => {
    const res = await http(agent, 'POST', `${nodes[0].url}/admin/sales`, JSON.stringify(sale), admin);
    t.equal(res.status, 201, `created ${String(sale['id'])}: ${res.body}`);
  };
  const buy = (base: string, sale: string, user: string, key?: string) =>
    http(agent, 'GET', `${base}/buy/ticket?sale=${sale}${user === '' ? '' : `&user=${user}`}`, undefined, key === undefined ? {} : { 'idempotency-key': key });
  const orderOf = (a: HttpAnswer) => (a.json?.data as { orderId?: string } | undefined)?.orderId;
  const everywhere = [nginx.url, ...nodes.map((n) => n.url)];

  t.test('the last ticket: its holder gets it back on every node, sold out or not', async (t) => {
    await create({ id: 'LAST', total: 1, perUserLimit: 1, anonymous: false });
    const first = await buy(nginx.url, 'LAST', 'alice', 'KL');
    t.equal(first.json?.code, 1, 'alice buys the only ticket');
    const others = await pool(6, Array.from({ length: 6 }, (_, i) => () => buy(nginx.url, 'LAST', `other${i}`)));
    t.ok(others.every((a) => a.json?.code === -1), 'six others: sold out');
    await sleep(300); // the nodes that saw the sale sold out have read who holds it
    for (const base of everywhere) {
      for (let round = 0; round < 4; round++) {
        const again = await buy(base, 'LAST', 'alice', 'KL');
        t.equal(again.json?.code, 1, `alice's retry with her key at ${base}: her order, not "sold out"`);
        t.equal(orderOf(again), orderOf(first), '  the same order');
        t.match(again.json?.data, { replayed: true, status: 'held' });
        // Without her key the name proves nothing (the demo has no buyer authentication): anyone may type "alice".
        const sameUser = await buy(base, 'LAST', 'alice');
        t.equal(sameUser.json?.code, -2, `"alice" without the key at ${base} (limit 1): limit reached, never "sold out"`);
        t.equal(sameUser.json?.data, null, '  and no order id');
        const stranger = await buy(base, 'LAST', `late${round}`);
        t.equal(stranger.json?.code, -1, '  a stranger: sold out');
      }
    }
  });

  t.test("a name is no capability: another client asking as alice learns no order id and cannot cancel hers", async (t) => {
    await create({ id: 'NAME', total: 5, perUserLimit: 1, anonymous: false });
    const hers = await buy(nginx.url, 'NAME', 'alice', 'alice-secret-key');
    const orderId = orderOf(hers);
    t.equal(hers.json?.code, 1, 'alice buys with her Idempotency-Key');
    for (const base of everywhere) {
      const thief = await buy(base, 'NAME', 'alice');
      t.match(thief.json, { code: -2, data: null }, `at ${base}: a request naming alice without her key gets -2 and no order`);
      t.match(thief.json?.msg, /you already hold an order in this sale/);
      t.notMatch(thief.body, new RegExp(orderId!.replace('.', '\\.')), '  the order id appears nowhere in the answer');
      const otherKey = await buy(base, 'NAME', 'alice', `guess-${base.length}`);
      t.equal(orderOf(otherKey), undefined, '  another key than hers: no order id either');
    }
    const back = await buy(nginx.url, 'NAME', 'alice', 'alice-secret-key');
    t.match(back.json, { code: 1, data: { orderId, replayed: true, status: 'held' } }, 'with her key: her order');
    const status = await http(agent, 'GET', `${nginx.url}/orders/${orderId}`);
    t.match(status.json?.data, { status: 'held' }, 'still held: nobody could cancel it');
  });

  t.test('sold out is answered from memory for buyers who hold nothing', async (t) => {
    await create({ id: 'FLOOD', total: 3, perUserLimit: 1, anonymous: true });
    for (let i = 0; i < 3; i++) t.equal((await buy(nodes[1].url, 'FLOOD', `f${i}`, `fk${i}`)).json?.code, 1);
    for (const node of nodes) await buy(node.url, 'FLOOD', 'warm'); // each node learns from Redis it is sold out
    await sleep(400); // ...and its main thread reads who holds what and hands it to the threads
    const client = await connectRedisReady(redis.url);
    t.teardown(() => client.disconnect());
    const before = await scriptCalls(client);
    const flood = await pool(50, Array.from({ length: 1000 }, (_, i) => () => buy(nodes[i % 2].url, 'FLOOD', i % 4 === 0 ? '' : `x${i}`)));
    const flooded = await scriptCalls(client);
    t.ok(flood.every((a) => a.json?.code === -1), '1000 strangers, named and anonymous, on both nodes: sold out');
    t.equal(flooded - before, 0, 'without a single script call');
    const holder = await buy(nodes[0].url, 'FLOOD', 'f1', 'fk1');
    t.equal(holder.json?.code, 1, 'while a holder on the other node still gets their order');
  });

  t.test('"sold out" only when it is: all buyers on one node get every ticket', async (t) => {
    await create({ id: 'SKEW', total: 100, perUserLimit: 1, anonymous: false });
    const answers: HttpAnswer[] = [];
    // One after another, straight to the weight-1 node, whose quota is a quarter of the stock plus a buffer.
    for (let i = 0; i < 130; i++) answers.push(await buy(nodes[0].url, 'SKEW', `s${i}`));
    const codes = answers.map((a) => a.json?.code);
    t.same(codes.slice(0, 100), Array(100).fill(1), 'the first 100 buyers: success, no "sold out" before the 100th');
    t.same(codes.slice(100), Array(30).fill(-1), 'the next 30: sold out');
  });

  t.test('replays tell the order as it is now; a key belongs to its buyer', async (t) => {
    await create({ id: 'STATE', total: 10, perUserLimit: 2, holdSeconds: 1, anonymous: false });
    const held = await buy(nginx.url, 'STATE', 'ann', 'K1');
    const cancelled = await http(agent, 'POST', `${nginx.url}/orders/${orderOf(held)}/cancel`);
    t.equal(cancelled.status, 200, 'cancelled');
    const replay = await buy(nginx.url, 'STATE', 'ann', 'K1');
    t.equal(replay.status, 409, 'the same key after a cancel: 409, not a fresh success');
    t.match(replay.json, { error: 'ORDER_CANCELLED', data: { orderId: orderOf(held), status: 'cancelled', replayed: true } });
    t.match(replay.json?.msg, /new Idempotency-Key/);

    const other = await buy(nginx.url, 'STATE', 'ben', 'K1');
    t.equal(other.json?.code, 1, "another buyer's K1 is their own key: a new order, no 422");
    t.not(orderOf(other), orderOf(held));
    await sleep(1500);
    const expired = await buy(nodes[0].url, 'STATE', 'ben', 'K1');
    t.equal(expired.status, 409, 'after the hold ran out: 409');
    t.match(expired.json, { error: 'HOLD_EXPIRED', data: { orderId: orderOf(other), status: 'expired' } });

    await create({ id: 'STATE2', total: 10, perUserLimit: 2, anonymous: false });
    const elsewhere = await buy(nginx.url, 'STATE2', 'ann', 'K1');
    t.equal(elsewhere.status, 422, "ann's K1 in another sale: 422 (one key, one purchase)");
    t.match(elsewhere.json, { error: 'IDEMPOTENCY_KEY_REUSED', msg: /already names your purchase in sale STATE\b.*new key to buy in sale STATE2/ });
    t.equal((await buy(nginx.url, 'STATE2', 'ann', 'K2')).json?.code, 1, 'a new key buys there');
    t.equal((await buy(nginx.url, 'STATE2', 'cy', 'K1')).json?.code, 1, "and cy's K1 is cy's own");

    const view = await http(agent, 'GET', `${nginx.url}/orders/${orderOf(other)}`);
    t.notOk('idempotencyKey' in (view.json?.data as object), 'the order view never shows the Idempotency-Key');
    t.match(orderOf(other), /^STATE\.[A-Za-z0-9_-]{22}$/, 'order ids: the sale and 22 characters of randomness');
  });

  t.test('guessing: orders bought just before and after a victim tell nothing about the victim\'s', async (t) => {
    await create({ id: 'GUESS', total: 100, perUserLimit: 1, anonymous: false });
    const before = orderOf(await buy(nodes[0].url, 'GUESS', 'mallory1'))!;
    const victim = orderOf(await buy(nodes[0].url, 'GUESS', 'victim'))!;
    const after = orderOf(await buy(nodes[0].url, 'GUESS', 'mallory2'))!;
    // The attack that found a victim in 714 requests: ids next to the attacker's own. Every id that differs
    // from either of them in one of its last four characters, or lies between them character by character.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const guesses = new Set<string>();
    for (const own of [before, after]) {
      for (let pos = own.length - 4; pos < own.length; pos++) for (const c of alphabet) guesses.add(own.slice(0, pos) + c + own.slice(pos + 1));
    }
    guesses.delete(before);
    guesses.delete(after);
    t.notOk(guesses.has(victim), "the victim's id is not among them");
    const found = (await pool(32, [...guesses].map((id) => () => http(agent, 'GET', `${nodes[0].url}/orders/${id}`)))).filter((a) => a.status === 200);
    t.equal(found.length, 0, `${guesses.size} guesses, no order found`);
    t.equal((await http(agent, 'POST', `${nodes[0].url}/orders/${victim}/cancel`)).status, 200, "(only the victim's own id opens it)");
  });

  t.test('Redis stalls: 503 first, then the order, for a purchase and for pay', async (t) => {
    await create({ id: 'STALL', total: 1, perUserLimit: 1, anonymous: false });
    const warm = await buy(nodes[0].url, 'STALL', 'warmer', 'KW');
    t.equal(warm.json?.code, 1, 'the only ticket is held by warmer');
    const pid = redis.pid!;
    process.kill(pid, 'SIGSTOP');
    let resumed = false;
    const resume = () => {
      if (!resumed) process.kill(pid, 'SIGCONT');
      resumed = true;
    };
    t.teardown(resume);
    const stalled = await buy(nodes[0].url, 'STALL', 'warmer', 'KW');
    const pay = await http(agent, 'POST', `${nodes[0].url}/orders/${orderOf(warm)}/pay`);
    resume();
    t.equal(stalled.status, 503, 'the retry during the stall: 503 (Redis did not answer in time)');
    t.match(stalled.json?.msg, /retry with the same Idempotency-Key/);
    t.equal(pay.status, 503, 'pay during the stall: 503');
    t.match(pay.json?.msg, /may or may not have been made.*safe to repeat/);
    await sleep(300);
    const again = await buy(nodes[0].url, 'STALL', 'warmer', 'KW');
    t.equal(again.json?.code, 1, 'after the stall, the retry: the order, not "sold out"');
    t.equal(orderOf(again), orderOf(warm));
    t.match(again.json?.data, { status: 'paid' }, 'and its state: the pay sent during the stall went through');
    const payAgain = await http(agent, 'POST', `${nodes[0].url}/orders/${orderOf(warm)}/pay`);
    t.equal(payAgain.status, 200, 'pay repeated: 200, the order paid once');
    const client = await connectRedisReady(redis.url);
    t.teardown(() => client.disconnect());
    t.equal(await client.hget(saleKeys('STALL').meta, 'paid'), '1', 'paid counts one unit');
  });

  t.test('malformed requests are answered and nothing hangs', async (t) => {
    const raw = (port: number, text: string) =>
      new Promise<{ text: string; closed: boolean }>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(text));
        let got = '';
        socket.on('data', (d: Buffer) => (got += d.toString()));
        const timer = setTimeout(() => {
          socket.destroy();
          resolve({ text: got, closed: false });
        }, 3000);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve({ text: got, closed: true });
        });
        socket.on('error', () => {});
      });
    const conflicting = await raw(
      nodes[0].port,
      'POST /buy/ticket HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 26\r\nContent-Length: 5\r\n\r\n{"user":"cl1","sale":"LAST"}',
    );
    t.match(conflicting.text, /^HTTP\/1\.1 400 [^]*BAD_CONTENT_LENGTH/, 'two different Content-Length straight to a node: 400');
    t.ok(conflicting.closed, '  and the connection is closed');
    const cases: Array<[string, string, RegExp]> = [
      ['a pipelined pair of purchases', 'GET /buy/ticket?sale=LAST&user=p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /buy/ticket?sale=LAST&user=p2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 200[^]*"code":-1[^]*HTTP\/1\.1 200[^]*"code":-1/],
      ['no Host', 'GET /healthz HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 400/],
      ['a space in a header name', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n', /^HTTP\/1\.1 400/],
      ['two different Content-Length', 'POST /buy/ticket HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\nContent-Length: 5\r\n\r\n{"user":"cl1","sale":"LAST"}', /^HTTP\/1\.1 400/],
    ];
    for (const [what, text, answer] of cases) {
      const got = await raw(nginx.port, text);
      t.match(got.text, answer, `through nginx, ${what}: answered`);
      t.ok(got.closed, '  and nothing hangs');
    }
  });
});
