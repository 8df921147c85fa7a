// A 5xx never carries the internal error's text (issue 17): Reply hands the cause to its hooks and sends a stable
// code with what to do; FaultLog logs one line per code per interval, counting the rest. A fake uWS response
// (pure logic: it records what Reply writes), a fake logger and clock.
import t from 'tap';
import type { HttpResponse } from 'uWebSockets.js';
import { Reply, type ReplyHooks } from '../../src/http/reply.js';
import { FaultLog } from '../../src/node/thread/fault-log.js';
import type { Logger } from '../../src/log/logger.js';

function fakeResponse(): { res: HttpResponse; written: { status?: string; body?: string } } {
  const written: { status?: string; body?: string } = {};
  const res = {
    onAborted: () => res,
    cork: (fn: () => void) => {
      fn();
      return res;
    },
    writeStatus: (s: string) => ((written.status = s), res),
    writeHeader: () => res,
    end: (body: string) => ((written.body = body), res),
  } as unknown as HttpResponse;
  return { res, written };
}

t.test('internal() and unavailable(..., cause): the cause to the hooks, not to the client', async (t) => {
  const faults: Array<[string, unknown]> = [];
  const hooks: ReplyHooks = { onEnd: () => {}, onAbort: () => {}, onFault: (code, cause) => faults.push([code, cause]) };
  const secret = new Error('connect ECONNREFUSED 10.1.2.3:6379 at Socket.internal (/srv/app/node_modules/ioredis)');
  const a = fakeResponse();
  new Reply(a.res, { servedBy: 'n1', hooks }).internal(secret);
  t.match(a.written.status, /^500/);
  t.same(JSON.parse(a.written.body!), { code: 500, msg: 'internal error (logged on this node): retry, and report it if it lasts', error: 'INTERNAL' });
  const b = fakeResponse();
  new Reply(b.res, { servedBy: 'n1', hooks }).unavailable('REDIS_UNAVAILABLE', 'Redis did not confirm in time; retry', undefined, secret);
  t.notMatch(b.written.body!, /ECONNREFUSED|10\.1\.2\.3|node_modules/, 'the 503 body names nothing internal');
  t.same(faults.map(([code]) => code), ['INTERNAL', 'REDIS_UNAVAILABLE']);
  t.equal(faults[0][1], secret, 'the cause itself reaches the log hook');
});

t.test('FaultLog: one line per code per second, with how many were not logged', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const log = { warn: (obj: Record<string, unknown>) => lines.push(obj) } as unknown as Logger;
  let now = 1_000;
  const faults = new FaultLog(log, 1000, () => now);
  for (let i = 0; i < 50; i++) faults.fault('REDIS_UNAVAILABLE', new Error('boom'));
  faults.fault('TICKETS_UNAVAILABLE', 'pool closed');
  t.equal(lines.length, 2, 'the first of each code');
  now += 1000;
  faults.fault('REDIS_UNAVAILABLE', new Error('boom again'));
  t.equal(lines.length, 3);
  t.match(lines[2], { code: 'REDIS_UNAVAILABLE', notLoggedSince: 49, err: { message: 'boom again' } }, 'the next line counts the 49 not logged');
  t.match(lines[1], { code: 'TICKETS_UNAVAILABLE', err: { message: 'pool closed' } });
});
