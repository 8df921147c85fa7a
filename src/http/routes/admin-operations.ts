import { ADMIN_CHALLENGE, adminRejection } from '../bearer.js';
import { contentLengthOf, isJson, readBody } from '../body.js';
import { answerEngineError } from '../engine-errors.js';
import type { AdminPort } from '../ports.js';
import type { Reply } from '../reply.js';
import { checkSale, isRejection, parseQueueBody, parseStockBody, type Rejection } from '../request-rules.js';
import type { HttpRequest } from 'uWebSockets.js';
import type { Route } from '../router.js';
import { saleView } from '../sale-view.js';

/**
 * POST /admin/sales/{id}/pause | resume | close (no body), POST /admin/sales/{id}/stock {"add": N} and
 * POST /admin/sales/{id}/queue {"on", "admitPerSecond"}: one
 * script each (src/sale/operations.ts). The answer is the sale as it is after the change, with `changed`
 * (false: it already was paused / running / closed — HTTP 200 all the same). The node that made the change
 * reconciles at once; every other node within --reconcile-ms.
 */
export function saleOperationRoutes(port: AdminPort): Route[] {
  /** Runs `change` and answers the sale after it; `msg` names what happened. */
  const operate = (reply: Reply, saleId: string, change: () => Promise<{ msg: string; data: Record<string, unknown> }>) => {
    const changedThenRead = async () => {
      const done = await change();
      port.saleChanged(saleId);
      return { ...done, status: await port.status(saleId) };
    };
    reply.settle(
      changedThenRead(),
      ({ msg, data, status }) => {
        if (status === null) return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `no sale ${saleId}: check the sale id` });
        reply.ok(1, msg, { ...saleView(status), ...data });
      },
      (err) => answerEngineError(reply, err, `sale ${saleId}`),
    );
  };
  /** The admin check, then the sale id of the path; null when already answered. */
  const admitted = (reply: Reply, req: HttpRequest): string | null => {
    const denied = adminRejection(req.getHeader('authorization'), port.adminToken);
    if (denied !== null) return (reply.error(denied, ADMIN_CHALLENGE), null);
    const saleId = req.getParameter(0) ?? '';
    const bad = checkSale(saleId, 'the sale id in the path');
    if (bad !== null) return (reply.error(bad), null);
    return saleId;
  };
  const toggle = (paused: boolean): Route['post'] => (reply, req) => {
    const saleId = admitted(reply, req);
    if (saleId === null) return;
    operate(reply, saleId, async () => {
      const { changed } = await port.setPaused(saleId, paused);
      const word = paused ? 'paused' : 'resumed';
      return { msg: changed ? word : `already ${paused ? 'paused' : 'running'}`, data: { changed } };
    });
  };
  /** An operation with a JSON body: the framing, the admin check, the media type, the body's rules, then `change`. */
  const withJsonBody = <B>(shape: string, parse: (text: string) => B | Rejection, change: (saleId: string, body: B) => Promise<{ msg: string; data: Record<string, unknown> }>): Route['post'] => (reply, req) => {
    const contentType = req.getHeader('content-type');
    const contentLength = contentLengthOf(req);
    if (typeof contentLength !== 'string') return reply.error(contentLength, undefined, undefined, true);
    const saleId = admitted(reply, req);
    if (saleId === null) return;
    if (!isJson(contentType)) return reply.error({ status: 415, error: 'UNSUPPORTED_MEDIA_TYPE', msg: `send Content-Type: application/json with ${shape}` });
    readBody(reply, contentLength, port.maxBodyBytes, (text) => {
      const body = parse(text);
      if (isRejection(body)) return reply.error(body);
      operate(reply, saleId, () => change(saleId, body));
    });
  };
  return [
    {
      // A train's coach, seat by seat (the dashboard's seat map): one read of Redis, behind the admin token.
      pattern: '/admin/sales/:id/coaches/:coach',
      get: (reply, req) => {
        const coach = req.getParameter(1) ?? '';
        const saleId = admitted(reply, req);
        if (saleId === null) return;
        reply.settle(
          port.coachMap(saleId, coach),
          (map) => (map === null ? reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `no sale ${saleId}: check the sale id` }) : reply.ok(1, `coach ${coach}`, map)),
          (err) => answerEngineError(reply, err, `sale ${saleId}`),
        );
      },
    },
    { pattern: '/admin/sales/:id/pause', post: toggle(true) },
    { pattern: '/admin/sales/:id/resume', post: toggle(false) },
    {
      pattern: '/admin/sales/:id/close',
      post: (reply, req) => {
        const saleId = admitted(reply, req);
        if (saleId === null) return;
        operate(reply, saleId, async () => {
          const { changed } = await port.close(saleId);
          return { msg: changed ? 'closed' : 'already closed', data: { changed } };
        });
      },
    },
    {
      // The waiting room's switch and rate (src/sale/queue-scripts.ts setQueue); the answer carries the queue after.
      pattern: '/admin/sales/:id/queue',
      post: withJsonBody('{"on": true|false, "admitPerSecond": N | "auto"}', parseQueueBody, async (saleId, body) => {
        const { changed, queue } = await port.setQueue(saleId, body);
        return { msg: changed ? `queue ${queue.on ? 'on' : 'off'}, ${queue.admitPerSecond} per second` : 'queue unchanged', data: { changed, queue } };
      }),
    },
    {
      pattern: '/admin/sales/:id/stock',
      post: withJsonBody('{"add": N}', parseStockBody, async (saleId, body) => {
        const { total } = await port.addStock(saleId, body.add);
        return { msg: `stock ${body.add > 0 ? 'added' : 'removed'}: total ${total}`, data: { changed: true, added: body.add } };
      }),
    },
  ];
}
