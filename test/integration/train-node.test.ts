// A train sale through a real node (two uWS threads) and a real Redis: created by the admin API, sold by
// GET and POST /buy/ticket with stations and a class, seats in the answer, "sold out from A to B" answered from
// shared memory without a Redis call, availability from memory equal to a recount of what Redis holds, bad
// trips answered 400 with what to send.
import t from 'tap';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedisReady } from '../../src/redis/connection.js';
import { seatCatalogue, type TrainConfig } from '../../src/rules/train-config.js';
import { RedisServer, watchScript } from '../helpers/redis-server.js';
import { NodeProcess, http, keepAliveAgent } from '../helpers/node-process.js';
import { recountSeats } from '../helpers/seat-recount.js';

const TOKEN = 'train-node-token';
const STATIONS = ['Beijing', 'Jinan', 'Nanjing', 'Shanghai'];

t.test('a train sale sold through a node', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const node = await NodeProcess.start({ redisUrl: redis.url, threads: 2, args: ['--reconcile-ms', '100', '--id', 'train-node'], env: { ADMIN_TOKEN: TOKEN } });
  t.teardown(() => node.stop());
  const client = (await connectRedisReady(redis.url)) as Redis;
  t.teardown(() => client.disconnect());
  const agent = keepAliveAgent(8);
  t.teardown(() => agent.destroy());
  const admin = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
  const json = { 'content-type': 'application/json' };
  const base = node.url;
  const train: TrainConfig = {
    stations: STATIONS,
    coaches: [
      { coach: '01', class: 'second', seats: 4, layout: 'AB CD' },
      { coach: '02', class: 'first', seats: 2, layout: 'A C' },
    ],
  };
  const badDay = await http(agent, 'POST', `${base}/admin/sales`, JSON.stringify({ id: 'G0', kind: 'train', anonymous: true, date: '2026-02-30', ...train }), admin);
  t.match(badDay.json, { error: 'BAD_FIELD', msg: /date/ }, `a day that does not exist is refused: ${badDay.body}`);
  const created = await http(agent, 'POST', `${base}/admin/sales`, JSON.stringify({ id: 'G1', kind: 'train', anonymous: true, perUserLimit: 5, date: '2026-12-24', ...train }), admin);
  t.equal(created.status, 201, created.body);
  await http(agent, 'POST', `${base}/admin/sales`, JSON.stringify({ id: 'COUNT', total: 5, anonymous: true }), admin);
  const status = await http(agent, 'GET', `${base}/sales/G1`);
  t.match(status.json?.data, { kind: 'train', total: 6 * 3, train: { stations: STATIONS } }, 'status shows the train; total counts seat-segments');

  const availability = async (query = '') => {
    for (;;) {
      const res = await http(agent, 'GET', `${base}/sales/G1/availability${query}`);
      if (res.status !== 503) return res;
      await sleep(50); // the node reads the seat book on its first reconcile
    }
  };
  const whole = await availability('?from=Beijing&to=Shanghai');
  t.match(whole.json?.data, { from: 'Beijing', to: 'Shanghai', classes: { second: 4, first: 2 } }, 'every seat free on the whole route');

  const viaGet = await http(agent, 'GET', `${base}/buy/ticket?sale=G1&user=ann&from=Beijing&to=Nanjing&class=second`);
  t.match(viaGet.json, { code: 1, data: { seats: [{ coach: '01', from: 'Beijing', to: 'Nanjing' }] } }, `GET: a seat in the answer ${viaGet.body}`);
  const viaPost = await http(
    agent,
    'POST',
    `${base}/buy/ticket`,
    JSON.stringify({ sale: 'G1', user: 'bob', from: 'Jinan', to: 'Shanghai', class: 'second', passengers: 2, seat: 'window' }),
    json,
  );
  const seats = (viaPost.json?.data as { seats: Array<{ coach: string; seat: string }> } | undefined)?.seats ?? [];
  t.equal(seats.length, 2, `POST: two passengers, two seats ${viaPost.body}`);
  t.equal(new Set(seats.map((s) => s.coach)).size, 1, 'seated in one coach');

  t.test('bad trips: 400 BAD_TRIP with what to send', async (t) => {
    const cases: Array<[string, string | undefined]> = [
      ['/buy/ticket?sale=G1&user=x&from=Paris&to=Shanghai&class=second', undefined],
      ['/buy/ticket?sale=G1&user=x&from=Shanghai&to=Beijing&class=second', undefined],
      ['/buy/ticket?sale=G1&user=x&from=Beijing&to=Shanghai&class=sleeper', undefined],
      ['/buy/ticket?sale=G1&user=x&from=Beijing&to=Shanghai', undefined],
      ['/buy/ticket?sale=G1&user=x&from=Beijing&to=Shanghai&class=second&passengers=6', undefined],
      ['/buy/ticket?sale=G1&user=x&from=Beijing&to=Shanghai&class=second&seat=middle', undefined],
      ['/buy/ticket?sale=G1&user=x', undefined],
      ['/buy/ticket?sale=COUNT&user=x&from=Beijing&to=Shanghai&class=second', undefined],
      ['/buy/ticket', JSON.stringify({ sale: 'G1', user: 'x', from: 'Beijing', to: 4, class: 'second' })],
    ];
    for (const [path, body] of cases) {
      const res = await http(agent, body === undefined ? 'GET' : 'POST', `${base}${path}`, body, body === undefined ? {} : json);
      t.equal(res.status, 400, `${path} ${body ?? ''}: ${res.body.trim()}`);
      t.equal(res.json?.error, 'BAD_TRIP');
    }
    const notTrain = await http(agent, 'GET', `${base}/sales/COUNT/availability`);
    t.equal(notTrain.json?.error, 'NOT_A_TRAIN');
    t.equal((await http(agent, 'GET', `${base}/sales/NOPE/availability`)).status, 404);
    t.equal((await availability('?from=Beijing&to=Paris')).json?.error, 'BAD_TRIP');
  });

  t.test('sold out for a pair, from memory; availability equals the recount', async (t) => {
    // Beijing-Nanjing in second: ann holds one of 4; take the other three seats' [Beijing, Jinan).
    for (const user of ['c1', 'c2', 'c3']) {
      const r = await http(agent, 'GET', `${base}/buy/ticket?sale=G1&user=${user}&from=Beijing&to=Jinan&class=second`);
      t.equal(r.json?.code, 1, r.body);
    }
    const left = await availability('?from=Beijing&to=Jinan');
    t.match(left.json?.data, { classes: { second: 0, first: 2 } }, 'nothing left in second from Beijing to Jinan');
    // The train goes on selling elsewhere on the route (its holder filter is always a reconcile behind)...
    t.equal((await http(agent, 'GET', `${base}/buy/ticket?sale=G1&user=eve&from=Nanjing&to=Shanghai&class=first`)).json?.code, 1);
    const fay = await http(agent, 'GET', `${base}/buy/ticket?sale=G1&user=fay&from=Nanjing&to=Shanghai&class=first`, undefined, { 'idempotency-key': 'fay-1' });
    t.equal(fay.json?.code, 1, 'fay buys down the route with her own key');
    const fayOrder = (fay.json?.data as { orderId: string }).orderId;
    // Counted by MONITOR: the node's own background scripts (status reads, holder log) run meanwhile and are not these.
    const reserves = await watchScript(redis.url, 'reserveBatch');
    t.teardown(() => reserves.stop());
    const calls = await reserves.count();
    const soldOut = await http(agent, 'GET', `${base}/buy/ticket?sale=G1&user=dan&from=Beijing&to=Nanjing&class=second`);
    t.match(soldOut.json, { code: -1, data: { from: 'Beijing', to: 'Nanjing', class: 'second' } }, `sold out with the pair ${soldOut.body.trim()}`);
    t.equal(await reserves.count(), calls, '...and a sold-out part of it is answered from shared memory: no batch went to Redis');
    // A buyer whose own key bought something is never told "sold out" from memory: their retry goes to Redis and
    // gets the order that key bought — whether the node's holder filter is a reconcile behind (it goes on selling) or
    // has caught up (it holds the key). (A key that bought nothing may be answered from memory once it has caught up.)
    const keyed = await http(agent, 'GET', `${base}/buy/ticket?sale=G1&user=fay&from=Beijing&to=Nanjing&class=second`, undefined, { 'idempotency-key': 'fay-1' });
    t.match(keyed.json, { code: 1, data: { orderId: fayOrder, replayed: true } }, `a buyer retrying with their own key gets the order it bought... ${keyed.body.trim()}`);
    t.equal(await reserves.count(), calls + 1, '...from Redis');
    const other = await http(agent, 'GET', `${base}/buy/ticket?sale=G1&user=dan&from=Nanjing&to=Shanghai&class=second`);
    t.equal(other.json?.code, 1, 'the same class further down the route still sells');

    await sleep(300);
    const all = await availability();
    const pairs = (all.json?.data as { pairs: Array<{ from: string; to: string; classes: Record<string, number> }> }).pairs;
    t.equal(pairs.length, 6, 'every pair of 4 stations');
    const recount = await recountSeats(client, 'G1', seatCatalogue(train), 3);
    t.same(recount.problems, []);
    for (const p of pairs) {
      const a = STATIONS.indexOf(p.from);
      const b = STATIONS.indexOf(p.to);
      t.same(p.classes, { second: recount.left('second', a, b), first: recount.left('first', a, b) }, `${p.from}-${p.to} as recounted`);
    }
  });

  t.test('the order and its ticket name the seats', async (t) => {
    const orderId = (viaPost.json?.data as { orderId: string }).orderId;
    const order = await http(agent, 'GET', `${base}/orders/${orderId}`);
    t.match(order.json?.data, { id: orderId, seats: seats.map((s) => ({ coach: s.coach, seat: s.seat, from: 'Jinan', to: 'Shanghai' })) }, 'GET /orders names the seats');
    t.notOk(order.body.includes('"item"'), 'and not the catalogue indexes');
    const paid = await http(agent, 'POST', `${base}/orders/${orderId}/pay`, '{"status":"succeeded"}', json);
    const ticket = (paid.json?.data as { ticket?: { payload: string } } | undefined)?.ticket;
    t.ok(ticket, paid.body);
    t.match(JSON.parse(ticket?.payload ?? '{}'), { orderId, sale: 'G1', date: '2026-12-24', seats: [{ coach: seats[0].coach, seat: seats[0].seat, from: 'Jinan', to: 'Shanghai' }, {}] }, 'the signed payload names train, day, coach, seat, from and to');
    const verified = await http(agent, 'POST', `${base}/tickets/verify`, JSON.stringify({ ticket }), json);
    t.equal(verified.json?.code, 1, `the ticket verifies ${verified.body}`);
    const tampered = { ...ticket, payload: ticket?.payload.replace('"Shanghai"', '"Nanjing"') };
    t.not((await http(agent, 'POST', `${base}/tickets/verify`, JSON.stringify({ ticket: tampered }), json)).json?.code, 1, 'a seat changed in the payload does not');
  });

  t.test('cancel gives the seat back, and the node sees it', async (t) => {
    const orderId = (viaGet.json?.data as { orderId: string }).orderId;
    const cancelled = await http(agent, 'POST', `${base}/orders/${orderId}/cancel`);
    t.equal(cancelled.status, 200, cancelled.body);
    let seen = -1;
    for (let i = 0; i < 40 && seen !== 1; i++) {
      await sleep(50);
      seen = ((await availability('?from=Beijing&to=Jinan')).json?.data as { classes: { second: number } }).classes.second;
    }
    t.equal(seen, 1, "ann's seat is free again from Beijing to Jinan");
  });
});
