import { contentLengthOf, isJson, readBody } from '../body.js';
import { answerEngineError } from '../engine-errors.js';
import type { QueuePort } from '../ports.js';
import type { Reply } from '../reply.js';
import { checkSale, checkUser, isRejection, parseJsonObject, reject, type Rejection } from '../request-rules.js';
import type { Route } from '../router.js';

/**
 * The waiting room (DESIGN.md "Waiting room"): POST /queue/{sale}/join {"user"} gives the buyer's signed queue
 * token and place; GET /queue/{sale}/status with header Queue-Token answers position, wait and — at the buyer's
 * turn — the purchase pass, from the node's memory (src/sale/queue-desk.ts). Tokens travel in headers and
 * bodies, never in a URL (logs and Referer headers keep URLs).
 */
export function queueRoutes(port: QueuePort): Route[] {
  return [
    {
      pattern: '/queue/:sale/join',
      post: (reply, req) => {
        const saleId = req.getParameter(0) ?? '';
        const contentType = req.getHeader('content-type');
        const contentLength = contentLengthOf(req);
        const authorization = port.auth.required ? req.getHeader('authorization') : '';
        if (typeof contentLength !== 'string') return reply.error(contentLength, undefined, undefined, true);
        const badSale = checkSale(saleId, 'the sale id in the path');
        if (badSale !== null) return reply.error(badSale);
        if (!isJson(contentType)) return reply.error(reject(415, 'UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/json with {"user": "<your name>"}'));
        readBody(reply, contentLength, port.maxBodyBytes, (text) => {
          const body = text.trim() === '' ? {} : parseJsonObject(text);
          if (isRejection(body)) return reply.error(body);
          const named = body['user'] ?? '';
          if (typeof named !== 'string') return reply.error(reject(400, 'BAD_USER', 'user must be a string'));
          if (!port.auth.required) {
            if (named === '') return reply.error(reject(400, 'USER_REQUIRED', 'a place in line is a named buyer\'s: send {"user": "<your name>"}'));
            const bad = checkUser(named);
            if (bad !== null) return reply.error(bad);
            return join(port, reply, saleId, named);
          }
          reply.settle(
            port.auth.buyerOf(authorization),
            (buyer) => {
              if (named !== '' && named !== buyer) return reply.error(reject(403, 'USER_MISMATCH', `the body names user ${named}, but the token is another buyer's: leave user out`));
              join(port, reply, saleId, buyer);
            },
            (rejection: unknown) => reply.error(isRejection(rejection) ? rejection : reject(401, 'TOKEN_INVALID', String(rejection))),
          );
        });
      },
    },
    {
      pattern: '/queue/:sale/status',
      get: (reply, req) => {
        const saleId = req.getParameter(0) ?? '';
        const token = req.getHeader('queue-token');
        const badSale = checkSale(saleId, 'the sale id in the path');
        if (badSale !== null) return reply.error(badSale);
        if (token === '') return reply.error(BAD_TOKEN_MISSING);
        port.status(saleId, token, (found) => {
          switch (found.kind) {
            case 'status':
              return reply.ok(1, found.status.state, found.status);
            case 'bad_token':
              return reply.error(BAD_TOKEN);
            case 'unknown_sale':
              return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `no sale ${saleId}: check the sale id` });
            case 'not_ready':
              return reply.unavailable('QUEUE_NOT_READY', 'this node has not read the waiting room\'s key yet: retry in a second');
            case 'lookup_failed':
              return reply.unavailable('REDIS_UNAVAILABLE', `could not look up sale ${saleId}: retry shortly`);
          }
        });
      },
    },
  ];
}

const BAD_TOKEN_MISSING: Rejection = reject(401, 'BAD_QUEUE_TOKEN', 'send your place as header Queue-Token: <the token POST /queue/{sale}/join gave you>');
const BAD_TOKEN: Rejection = reject(401, 'BAD_QUEUE_TOKEN', 'the Queue-Token is not a place in this sale\'s line (altered, or another sale\'s): join again (POST /queue/{sale}/join) for yours');

function join(port: QueuePort, reply: Reply, saleId: string, user: string): void {
  reply.settle(
    port.join(saleId, user),
    (joined) => {
      switch (joined.kind) {
        case 'joined':
          return reply.ok(1, joined.place === null ? 'joined the pre-queue: your place is drawn when the line opens' : 'joined', { token: joined.token, place: joined.place, opensAt: joined.opensAt });
        case 'not_ready':
          return reply.unavailable('QUEUE_NOT_READY', 'this node has not read the waiting room\'s key yet: retry in a second');
        case 'unknown':
          return reply.error({ status: 404, error: 'UNKNOWN_SALE', msg: `no sale ${saleId}: check the sale id` });
        case 'none':
        case 'off':
          return reply.error({ status: 409, error: 'NO_QUEUE', msg: `sale ${saleId} has no waiting room now: buy directly (POST /buy/ticket)` });
        case 'closed':
          return reply.error({ status: 409, error: 'SALE_CLOSED', msg: `sale ${saleId} has closed` });
        case 'already':
          return reply.error(
            { status: 409, error: 'ALREADY_JOINED', msg: `you are in the line of sale ${saleId} already: poll with the token your first join gave you (a name alone does not get it back)` },
            undefined,
            { place: joined.place, opensAt: joined.opensAt },
          );
        case 'full':
          return reply.error({ status: 409, error: 'LINE_FULL', msg: `the waiting room of sale ${saleId} holds ${joined.max} places, all taken` });
        case 'early':
          return reply.error({ status: 409, error: 'QUEUE_NOT_YET', msg: `the waiting room of sale ${saleId} takes joins from ${new Date(joined.preQueueFrom).toISOString()}` }, undefined, { preQueueFrom: joined.preQueueFrom });
      }
    },
    (err) => answerEngineError(reply, err, `the waiting room of sale ${saleId}`),
  );
}
