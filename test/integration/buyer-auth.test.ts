// Buyer authentication on: the buyer is a bearer token's sub (HS256 on one node, EdDSA on another), an order
// is read and cancelled only by its buyer, and paying is the payment system's signed callback — never the
// buyer's own call; the same callback twice pays once and answers "paid" both times.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigner } from 'fast-jwt';
import { signPayment } from '../../src/auth/payment-signature.js';
import { NodeProcess, http, keepAliveAgent } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';

const SECRET = 'a-shared-hs256-secret-of-32-chars!!';
const PAY_SECRET = 'the-payment-systems-secret-32-chars';
const ADMIN = 'auth-admin-token-16';

t.test('buyer authentication', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const dir = mkdtempSync(join(tmpdir(), 'ts-auth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ed = generateKeyPairSync('ed25519');
  const publicKeyFile = join(dir, 'buyers.pem');
  writeFileSync(publicKeyFile, ed.publicKey.export({ type: 'spki', format: 'pem' }));
  const [hs, eddsa] = await Promise.all([
    NodeProcess.start({ redisUrl: redis.url, threads: 2, env: { ADMIN_TOKEN: ADMIN, JWT_SECRET: SECRET, PAYMENT_WEBHOOK_SECRET: PAY_SECRET } }),
    NodeProcess.start({ redisUrl: redis.url, threads: 1, env: { ADMIN_TOKEN: ADMIN, JWT_PUBLIC_KEY_FILE: publicKeyFile } }),
  ]);
  t.teardown(() => Promise.all([hs.stop(), eddsa.stop()]));
  const agent = keepAliveAgent(16);
  t.teardown(() => agent.destroy());

  const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600;
  const signHs = createSigner({ key: SECRET, algorithm: 'HS256' });
  const hsToken = async (sub: string, exp = inTenMinutes()) => signHs({ sub, exp });
  const signEd = createSigner({ key: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm: 'EdDSA' });
  const edToken = async (sub: string) => signEd({ sub, exp: inTenMinutes() });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const created = await http(agent, 'POST', `${hs.url}/admin/sales`, JSON.stringify({ id: 'AUTH', total: 50, perUserLimit: 5 }), {
    'content-type': 'application/json',
    ...bearer(ADMIN),
  });
  t.equal(created.status, 201);
  const alice = await hsToken('alice');
  const bob = await hsToken('bob');
  const buy = (base: string, headers: Record<string, string>, query = '') => http(agent, 'GET', `${base}/buy/ticket?sale=AUTH${query}`, undefined, headers);
  const orderIdOf = (a: { json: { data?: unknown } | null }) => (a.json?.data as { orderId: string }).orderId;

  t.test('who may buy: the token says who the buyer is', async (t) => {
    t.match(await buy(hs.url, {}), { status: 401, json: { error: 'TOKEN_MISSING' } }, 'no token: 401');
    t.match(await buy(hs.url, bearer('not.a.jwt')), { status: 401, json: { error: 'TOKEN_INVALID' } }, 'garbage: 401');
    const forged = createSigner({ key: 'x'.repeat(40), algorithm: 'HS256' })({ sub: 'alice', exp: inTenMinutes() });
    t.match(await buy(hs.url, bearer(forged)), { status: 401, json: { error: 'TOKEN_INVALID' } }, 'signed with another secret: 401');
    t.match(await buy(hs.url, bearer(await hsToken('alice', Math.floor(Date.now() / 1000) - 60))), { status: 401, json: { error: 'TOKEN_INVALID' } }, 'expired: 401');
    t.match(await buy(hs.url, bearer(await hsToken('bad user!'))), { status: 401, json: { error: 'TOKEN_SUBJECT' } }, 'a sub that is no buyer id: 401');
    t.match(await buy(hs.url, bearer(alice), '&user=bob'), { status: 403, json: { error: 'USER_MISMATCH' } }, "alice's token buying as bob: 403");
    const own = await buy(hs.url, bearer(alice), '&user=alice');
    t.equal(own.json?.code, 1, 'naming herself is fine');
    const bought = await buy(hs.url, bearer(alice));
    t.equal(bought.json?.code, 1, 'alice buys with her token');
    const view = await http(agent, 'GET', `${hs.url}/orders/${orderIdOf(bought)}`, undefined, bearer(alice));
    t.match(view.json?.data, { user: 'alice', status: 'held' }, "the order is alice's");
    const viaEd = await buy(eddsa.url, bearer(await edToken('carol')));
    t.equal(viaEd.json?.code, 1, 'an EdDSA token on the node with the Ed25519 key');
    t.match(await buy(eddsa.url, bearer(alice)), { status: 401 }, 'an HS256 token there: 401');
  });

  t.test("another buyer's order: not readable, not cancellable", async (t) => {
    const order = orderIdOf(await buy(hs.url, bearer(alice)));
    t.match(await http(agent, 'GET', `${hs.url}/orders/${order}`, undefined, bearer(bob)), { status: 403, json: { error: 'NOT_YOUR_ORDER' } });
    t.match(await http(agent, 'POST', `${hs.url}/orders/${order}/cancel`, undefined, bearer(bob)), { status: 403, json: { error: 'NOT_YOUR_ORDER' } });
    t.match(await http(agent, 'GET', `${hs.url}/orders/${order}`), { status: 401 }, 'no token: 401');
    const mine = await http(agent, 'GET', `${hs.url}/orders/${order}`, undefined, bearer(alice));
    t.match(mine.json?.data, { status: 'held' }, 'still held after bob tried');
    const cancelled = await http(agent, 'POST', `${hs.url}/orders/${order}/cancel`, undefined, bearer(alice));
    t.match(cancelled.json?.data, { status: 'cancelled' }, 'alice cancels her own');
  });

  t.test('limit 1: a proven buyer asking again without a key gets her own order back (the name is proven)', async (t) => {
    const one = await http(agent, 'POST', `${hs.url}/admin/sales`, JSON.stringify({ id: 'AUTH1', total: 10, perUserLimit: 1 }), {
      'content-type': 'application/json',
      ...bearer(ADMIN),
    });
    t.equal(one.status, 201);
    const dave = await hsToken('dave');
    const first = await http(agent, 'GET', `${hs.url}/buy/ticket?sale=AUTH1`, undefined, bearer(dave));
    t.match(first.json, { code: 1, data: { replayed: false } }, 'dave buys');
    const again = await http(agent, 'GET', `${hs.url}/buy/ticket?sale=AUTH1`, undefined, bearer(dave));
    t.match(again.json, { code: 1, data: { orderId: orderIdOf(first), replayed: true, status: 'held' } }, 'no key: his order back, with its id');
    const other = await http(agent, 'GET', `${hs.url}/buy/ticket?sale=AUTH1`, undefined, bearer(await hsToken('erin')));
    t.match(other.json, { code: 1, data: { replayed: false } }, "another buyer's token buys her own");
    t.not(orderIdOf(other), orderIdOf(first), 'and never sees his');
  });

  t.test('paying is the payment system\'s call', async (t) => {
    const order = orderIdOf(await buy(hs.url, bearer(alice)));
    const own = await http(agent, 'POST', `${hs.url}/orders/${order}/pay`, '', bearer(alice));
    t.match(own, { status: 401, json: { error: 'PAYMENT_SYSTEM_ONLY' } }, 'alice paying with her own token: refused');
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ status: 'succeeded', amount: 4200, currency: 'EUR' });
    const wrongOrder = signPayment(PAY_SECRET, `${order}x`, body, now);
    t.match(await http(agent, 'POST', `${hs.url}/orders/${order}/pay`, body, { 'payment-signature': wrongOrder }), { status: 401, json: { error: 'BAD_PAYMENT_SIGNATURE' } }, 'signed for another order: 401');
    const stale = signPayment(PAY_SECRET, order, body, now - 3600);
    t.match(await http(agent, 'POST', `${hs.url}/orders/${order}/pay`, body, { 'payment-signature': stale }), { status: 401, json: { error: 'BAD_PAYMENT_SIGNATURE' } }, 'an hour old: 401');
    t.match((await http(agent, 'GET', `${hs.url}/orders/${order}`, undefined, bearer(alice))).json?.data, { status: 'held' }, 'none of that paid it');
    const signature = signPayment(PAY_SECRET, order, body, now);
    const paid = await http(agent, 'POST', `${hs.url}/orders/${order}/pay`, body, { 'payment-signature': signature });
    t.equal(paid.status, 200, `the payment system's signed callback pays: ${paid.body.slice(0, 200)}`);
    t.match(paid.json?.data, { status: 'paid', user: 'alice' });
    t.equal((paid.json?.data as { replayed?: boolean }).replayed, false, 'the first time this callback paid');
    const replay = await http(agent, 'POST', `${hs.url}/orders/${order}/pay`, body, { 'payment-signature': signature });
    t.match(replay, { status: 200, json: { code: 1, data: { status: 'paid', replayed: true } } }, 'the same callback again: the paid order, said to be a repeat');
    const other = orderIdOf(await buy(hs.url, bearer(bob)));
    const byAdmin = await http(agent, 'POST', `${hs.url}/orders/${other}/pay`, '', bearer(ADMIN));
    t.match(byAdmin.json?.data, { status: 'paid', user: 'bob' }, 'the admin token pays too');
  });
});
