// Errors never kill a thread (issue 18, part 3): a route that throws — in its handler, inside uWS's onData, or
// after a promise it waits on — is answered one 500 with a stable code and nothing internal in the body, and the
// same uWS app goes on serving. A real uWS app on a port the kernel picks, test-only routes mounted by the real
// router (src/http/router.ts mount) with the real Reply, body reader and settle. Without Reply.guard (router,
// readBody) or Reply.settle, the throw escapes into uWS or an unhandled rejection and ends this process.
import t from 'tap';
import { App, us_listen_socket_close, us_socket_local_port, type us_listen_socket } from 'uWebSockets.js';
import { contentLengthOf, readBody } from '../../src/http/body.js';
import { Reply, type ReplyHooks } from '../../src/http/reply.js';
import { mount, type Route } from '../../src/http/router.js';
import { http, keepAliveAgent } from '../helpers/node-process.js';

/** What the body of a 500 must never show: the thrown error's message, its stack, a path. */
const SECRET = 'SECRET-internal-detail at /srv/app/src/db.ts:42';

t.test('a throw anywhere in a route is one 500 INTERNAL, and the app keeps serving', async (t) => {
  const faults: Array<[string, unknown]> = [];
  const hooks: ReplyHooks = { onEnd: () => {}, onAbort: () => {}, onFault: (code, cause) => faults.push([code, cause]) };
  const boom = () => {
    throw new Error(SECRET);
  };
  const routes: Route[] = [
    { pattern: '/ok', get: (reply) => reply.ok(1, 'ok') },
    // Synchronously, in the handler uWS calls (router.ts: guarded).
    { pattern: '/throw/sync', get: () => boom() },
    // Inside onData, after the handler returned (body.ts: readBody runs its callback under guard).
    {
      pattern: '/throw/on-data',
      post: (reply, req) => {
        const length = contentLengthOf(req);
        readBody(reply, typeof length === 'string' ? length : '', 1024, () => boom());
      },
    },
    // A promise the route waits on rejects (settle's default onError).
    { pattern: '/throw/rejected', get: (reply) => reply.settle(Promise.reject(new Error(SECRET)), () => reply.ok(1, 'never')) },
    // The continuation of a promise that resolved throws (settle runs it under guard).
    { pattern: '/throw/continuation', get: (reply) => reply.settle(Promise.resolve(1), () => boom()) },
    // The route's own error handler throws too.
    { pattern: '/throw/on-error', get: (reply) => reply.settle(Promise.reject(new Error('first')), () => {}, () => boom()) },
  ];
  const app = App();
  mount(app, routes, (res) => new Reply(res, { servedBy: 'faults-test', hooks }));
  const listening = await new Promise<us_listen_socket>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (socket) => (socket === false ? reject(new Error('could not listen')) : resolve(socket))),
  );
  t.teardown(() => {
    us_listen_socket_close(listening);
    app.close();
  });
  const base = `http://127.0.0.1:${us_socket_local_port(listening)}`;
  // One keep-alive connection: every request below, faults included, goes over the same socket of the same app.
  const agent = keepAliveAgent(1);
  t.teardown(() => agent.destroy());

  t.equal((await http(agent, 'GET', `${base}/ok`)).status, 200, 'serving before any fault');
  const cases: Array<[string, string, string | undefined]> = [
    ['GET', '/throw/sync', undefined],
    ['POST', '/throw/on-data', '{"user":"u1"}'],
    ['GET', '/throw/rejected', undefined],
    ['GET', '/throw/continuation', undefined],
    ['GET', '/throw/on-error', undefined],
  ];
  for (const [method, path, body] of cases) {
    faults.length = 0;
    const res = await http(agent, method, `${base}${path}`, body, body === undefined ? {} : { 'content-type': 'application/json' }, 5000);
    t.equal(res.status, 500, `${path}: 500`);
    t.same(res.json, { code: 500, msg: 'internal error (logged on this node): retry, and report it if it lasts', error: 'INTERNAL' }, `${path}: the stable code`);
    t.notMatch(res.body, /SECRET|\/srv\/|db\.ts|Error/, `${path}: nothing internal in the body`);
    t.equal(res.headers['x-served-by'], 'faults-test');
    t.same(faults.map(([code]) => code), ['INTERNAL'], `${path}: one fault, to the log hook`);
    t.match((faults[0]?.[1] as Error | undefined)?.message, /SECRET/, `${path}: the cause itself reaches the log`);
    const after = await http(agent, 'GET', `${base}/ok`, undefined, {}, 5000);
    t.same([after.status, after.json?.msg], [200, 'ok'], `${path}: the same app answers the next request`);
  }
});
