// E-tickets end to end: issued on pay, read again with GET /tickets/{orderId} (same buyer rules as the order),
// checked by gates with POST /tickets/verify, keys served at /.well-known/ticket-keys, shared by nodes through
// one key directory, and rotated without refusing the tickets signed before.
import t from 'tap';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSigner } from 'fast-jwt';
import { signTicket, type Ticket } from '../../src/tickets/format.js';
import { keyFromPem, loadKeyDir, rotateKey, signingKey } from '../../src/tickets/keys.js';
import { NodeProcess, http, keepAliveAgent, type HttpAnswer } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';

const ADMIN = 'tickets-admin-token';
const SECRET = 'a-shared-hs256-secret-of-32-chars!!';

t.test('e-tickets', async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const keyDir = mkdtempSync(join(tmpdir(), 'ts-ticket-keys-'));
  t.teardown(() => rmSync(keyDir, { recursive: true, force: true }));
  const firstKey = rotateKey(keyDir);
  const keyArgs = ['--ticket-keys', keyDir];
  const [a, b, auth] = await Promise.all([
    // Node A re-reads the key directory on SIGHUP only; B by its timer (every 1 s) only.
    NodeProcess.start({ redisUrl: redis.url, threads: 1, args: [...keyArgs, '--ticket-keys-reload-ms', '0'], env: { ADMIN_TOKEN: ADMIN } }),
    NodeProcess.start({ redisUrl: redis.url, threads: 1, args: [...keyArgs, '--ticket-keys-reload-ms', '1000'], env: { ADMIN_TOKEN: ADMIN } }),
    NodeProcess.start({ redisUrl: redis.url, threads: 1, args: keyArgs, env: { ADMIN_TOKEN: ADMIN, JWT_SECRET: SECRET } }),
  ]);
  t.teardown(() => Promise.all([a.stop(), b.stop(), auth.stop()]));
  const agent = keepAliveAgent(8);
  t.teardown(() => agent.destroy());
  const json = { 'content-type': 'application/json' };
  const admin = { ...json, authorization: `Bearer ${ADMIN}` };
  for (const sale of [{ id: 'TK', total: 50, perUserLimit: 5 }, { id: 'TKX', total: 5, holdSeconds: 1 }]) {
    t.equal((await http(agent, 'POST', `${a.url}/admin/sales`, JSON.stringify(sale), admin)).status, 201);
  }
  const buy = async (user: string, sale = 'TK', node = a) => {
    const answer = await http(agent, 'GET', `${node.url}/buy/ticket?user=${user}&sale=${sale}`);
    return (answer.json?.data as { orderId: string }).orderId;
  };
  const pay = async (orderId: string, node = a) => {
    const paid = await http(agent, 'POST', `${node.url}/orders/${orderId}/pay`, undefined, node === auth ? { authorization: `Bearer ${ADMIN}` } : {});
    return (paid.json?.data as { ticket: Ticket }).ticket;
  };
  const getTicket = (orderId: string, node = a, headers: Record<string, string> = {}) => http(agent, 'GET', `${node.url}/tickets/${orderId}`, undefined, headers);
  const verify = (ticket: unknown, node = a) => http(agent, 'POST', `${node.url}/tickets/verify`, JSON.stringify({ ticket }), json);
  const verdict = (answer: HttpAnswer) => ({ status: answer.status, code: answer.json?.code, msg: answer.json?.msg });
  /** A ticket for any order view, signed with a key of the directory: what a forger holding the key could make. */
  const forge = (order: { id: string; sale: string; user: string; paidAt?: number }) => signTicket(order, signingKey(loadKeyDir(keyDir), firstKey.kid));

  let first: { orderId: string; ticket: Ticket };

  t.test('pay issues a ticket; GET /tickets returns the same one on every node sharing the key dir; both verify it', async (t) => {
    const orderId = await buy('alice');
    const ticket = await pay(orderId);
    t.equal(ticket.kid, firstKey.kid, 'signed with the current key of the directory');
    t.match(JSON.parse(ticket.payload), { orderId, sale: 'TK', user: 'alice', kid: firstKey.kid });
    const again = await getTicket(orderId);
    t.equal(again.status, 200);
    t.same((again.json?.data as { ticket: Ticket }).ticket, ticket, 'GET /tickets on the same node: the same ticket');
    t.same((await getTicket(orderId, b)).json?.data, { orderId, ticket }, 'another node: identical (Ed25519 is deterministic)');
    t.same(verdict(await verify(ticket)), { status: 200, code: 1, msg: 'valid' });
    t.same(verdict(await verify(ticket, b)), { status: 200, code: 1, msg: 'valid' }, "node B verifies node A's ticket");
    const fromB = await pay(await buy('bert', 'TK', b), b);
    t.same(verdict(await verify(fromB, a)), { status: 200, code: 1, msg: 'valid' }, "node A verifies node B's ticket");
    first = { orderId, ticket };
  });

  t.test('forged or damaged tickets are refused with their codes', async (t) => {
    const { ticket } = first;
    const tampered = { ...ticket, payload: ticket.payload.replace('"user":"alice"', '"user":"mallory"') };
    t.not(tampered.payload, ticket.payload);
    t.same(verdict(await verify(tampered)), { status: 200, code: -21, msg: 'bad_signature' }, 'payload changed (another user): -21');
    t.same(verdict(await verify({ ...ticket, signature: ticket.signature.slice(0, -4) })), { status: 200, code: -21, msg: 'bad_signature' }, 'truncated signature: -21');
    const other = generateKeyPairSync('ed25519');
    const otherKey = keyFromPem(other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'test key');
    const byOther = signTicket({ id: first.orderId, sale: 'TK', user: 'alice', paidAt: JSON.parse(ticket.payload).paidAt }, { ...otherKey, kid: firstKey.kid, privateKey: otherKey.privateKeyPem });
    t.same(verdict(await verify(byOther)), { status: 200, code: -21, msg: 'bad_signature' }, "signed by a key not in the dir, claiming the dir's kid: -21");
    const ownKid = signTicket({ id: first.orderId, sale: 'TK', user: 'alice' }, { ...otherKey, privateKey: otherKey.privateKeyPem });
    t.same(verdict(await verify(ownKid)), { status: 200, code: -20, msg: 'unknown_key' }, 'signed by a key the nodes do not have, under its own kid: -20');
    t.equal(ownKid.publicKey, otherKey.publicKeyPem, 'the public key a ticket carries is not trusted');
  });

  t.test("verify checks the order's status now, not only the signature", async (t) => {
    // A paid order cannot be cancelled here (lua/cancel-3.lua answers ORDER_PAID) nor refunded, so "cancelled
    // after issue" is a genuine signature over an order that is not paid: held, cancelled, expired, unknown.
    const held = await buy('hilda');
    t.same(verdict(await verify(forge({ id: held, sale: 'TK', user: 'hilda' }))), { status: 200, code: -22, msg: 'not_paid' }, 'held: -22');
    const cancelled = await buy('carl');
    t.equal((await http(agent, 'POST', `${a.url}/orders/${cancelled}/cancel`)).status, 200);
    const answer = await verify(forge({ id: cancelled, sale: 'TK', user: 'carl', paidAt: Date.now() }));
    t.same(verdict(answer), { status: 200, code: -22, msg: 'not_paid' }, 'cancelled: -22');
    t.equal((answer.json?.data as { status: string }).status, 'cancelled', 'the answer says what the order is now');
    t.same(verdict(await verify(forge({ id: 'TK.NoSuchOrder0000000000', sale: 'TK', user: 'x' }))), { status: 200, code: -23, msg: 'unknown_order' }, 'unknown order: -23');
    const expiring = await buy('edna', 'TKX');
    let status = '';
    for (let i = 0; i < 60 && status !== 'expired'; i++) {
      await sleep(100);
      status = ((await http(agent, 'GET', `${a.url}/orders/${expiring}`)).json?.data as { status: string }).status;
    }
    t.equal(status, 'expired');
    t.same(verdict(await verify(forge({ id: expiring, sale: 'TKX', user: 'edna' }), b)), { status: 200, code: -22, msg: 'not_paid' }, 'expired: -22');
    t.match(await getTicket(expiring), { status: 409, json: { error: 'HOLD_EXPIRED' } }, 'GET /tickets of an expired hold: 409 HOLD_EXPIRED');
    t.match(await getTicket(held), { status: 409, json: { error: 'ORDER_NOT_PAID' } }, 'GET /tickets of a held order: 409 ORDER_NOT_PAID');
    t.match(await getTicket(cancelled), { status: 409, json: { error: 'ORDER_CANCELLED' } }, 'GET /tickets of a cancelled order: 409 ORDER_CANCELLED');
    t.match(await getTicket('TK.NoSuchOrder0000000000'), { status: 404, json: { error: 'UNKNOWN_ORDER' } }, 'unknown order: 404');
    t.match(await getTicket('no-dot'), { status: 400, json: { error: 'BAD_ORDER_ID' } });
  });

  t.test('malformed tickets and bodies: 400 with a stable code', async (t) => {
    const { ticket } = first;
    const cases: Array<[string, string, number, string]> = [
      ['not JSON', '{"ticket":', 400, 'BAD_JSON'],
      ['ticket not an object', JSON.stringify({ ticket: 'abc' }), 400, 'BAD_TICKET'],
      ['no ticket', JSON.stringify({}), 400, 'BAD_TICKET'],
      ['no signature', JSON.stringify({ ticket: { payload: ticket.payload, kid: ticket.kid } }), 400, 'BAD_TICKET'],
      ['signature not base64url', JSON.stringify({ ticket: { ...ticket, signature: 'ab+/==' } }), 400, 'BAD_TICKET'],
      ['payload not canonical', JSON.stringify({ ticket: { ...ticket, payload: JSON.stringify(JSON.parse(ticket.payload), null, 1) } }), 400, 'BAD_TICKET_PAYLOAD'],
      ['payload not JSON', JSON.stringify({ ticket: { ...ticket, payload: ticket.payload.slice(0, -1) } }), 400, 'BAD_TICKET_PAYLOAD'],
      ['kid differs from the payload', JSON.stringify({ ticket: { ...ticket, kid: 'AAAAAAAAAAAA' } }), 400, 'BAD_TICKET_PAYLOAD'],
      ['too large', JSON.stringify({ ticket: { ...ticket, pad: 'x'.repeat(3000) } }), 413, 'BODY_TOO_LARGE'],
    ];
    for (const [what, body, status, error] of cases) {
      const answer = await http(agent, 'POST', `${a.url}/tickets/verify`, body, json);
      t.match({ status: answer.status, error: answer.json?.error }, { status, error }, what);
    }
    t.match(await http(agent, 'POST', `${a.url}/tickets/verify`, JSON.stringify({ ticket }), {}), { status: 415 }, 'no JSON content type: 415');
    t.match(await http(agent, 'GET', `${a.url}/tickets/verify`), { status: 405 }, 'GET /tickets/verify: 405, not an order lookup');
  });

  t.test('with buyer authentication on, only the buyer reads the ticket', async (t) => {
    const sign = createSigner({ key: SECRET, algorithm: 'HS256' });
    const token = (sub: string) => ({ authorization: `Bearer ${sign({ sub, exp: Math.floor(Date.now() / 1000) + 600 })}` });
    const bought = await http(agent, 'GET', `${auth.url}/buy/ticket?sale=TK`, undefined, token('ana'));
    const orderId = (bought.json?.data as { orderId: string }).orderId;
    const ticket = await pay(orderId, auth);
    t.ok(ticket, 'the admin token pays and gets the ticket');
    t.same((await getTicket(orderId, auth, token('ana'))).json?.data, { orderId, ticket }, 'the buyer: 200, the same ticket');
    t.match(await getTicket(orderId, auth, token('ben')), { status: 403, json: { error: 'NOT_YOUR_ORDER' } }, 'another buyer: 403');
    t.match(await getTicket(orderId, auth), { status: 401 }, 'no token: 401');
    t.same(verdict(await verify(ticket, auth)), { status: 200, code: 1, msg: 'valid' }, 'gates verify without a buyer token');
  });

  t.test('/.well-known/ticket-keys serves the public keys by kid', async (t) => {
    const answer = await http(agent, 'GET', `${b.url}/.well-known/ticket-keys`);
    t.equal(answer.status, 200);
    t.match(answer.headers['cache-control'], /max-age=\d+/);
    const { keys } = JSON.parse(answer.body) as { keys: Array<{ kid: string; x: string; alg: string; crv: string; kty: string; publicKeyPem: string }> };
    t.same(keys.map((k) => [k.kid, k.alg, k.crv, k.kty]), [[firstKey.kid, 'EdDSA', 'Ed25519', 'OKP']]);
    t.equal(keys[0].x, firstKey.x);
    t.equal(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: keys[0].x }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }), keys[0].publicKeyPem, 'x and the PEM are the same key');
  });

  t.test('rotation: new tickets use the new key, old tickets still verify, both keys are served', async (t) => {
    const rotated = await runCli(['tickets', 'rotate-key', '--dir', keyDir]);
    t.equal(rotated.code, 0, rotated.stderr);
    const newKid = /new current key ([A-Za-z0-9_-]+)/.exec(rotated.stdout)?.[1] ?? '';
    t.not(newKid, firstKey.kid);
    const kidsOf = async (node: NodeProcess) => (JSON.parse((await http(agent, 'GET', `${node.url}/.well-known/ticket-keys`)).body) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    await sleep(1500);
    t.equal((await kidsOf(a)).length, 1, 'node A (no timer) has not re-read the directory by itself');
    a.child.kill('SIGHUP'); // node A now; node B has re-read it by its timer
    const until = async (node: NodeProcess, ms: number) => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if ((await kidsOf(node)).length === 2) return true;
      return false;
    };
    t.ok(await until(a, 2000), 'node A reloads on SIGHUP');
    t.same((await kidsOf(a)).sort(), [firstKey.kid, newKid].sort());
    const fresh = await pay(await buy('newbie'));
    t.equal(fresh.kid, newKid, 'a ticket issued now is signed with the new key');
    t.same(verdict(await verify(first.ticket)), { status: 200, code: 1, msg: 'valid' }, 'the ticket signed before the rotation still verifies');
    t.ok(await until(b, 3000), 'node B re-reads the directory by itself');
    t.same(verdict(await verify(fresh, b)), { status: 200, code: 1, msg: 'valid' }, "node B verifies the new key's tickets");
  });
});

t.test('a node refuses a key directory it cannot use, naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ticket-keys-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const empty = await runCli(['node', '--port', '1', '--threads', '1', '--ticket-keys', dir, '--redis', 'redis://127.0.0.1:1']);
  t.equal(empty.code, 2);
  t.match(empty.stderr, /--ticket-keys \(or TICKET_KEYS_DIR\): no <kid>\.pem key in .*: make one with ticket-spike tickets rotate-key/);
});
