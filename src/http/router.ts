import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Reply } from './reply.js';

/**
 * A route handler gets a Reply and the live request (read it synchronously). It answers at once or arranges an
 * answer later; either way the router registers onAborted as it returns unanswered (Reply.watchAbort).
 */
export type Handler = (reply: Reply, req: HttpRequest) => void;

export interface Route {
  /** uWS pattern, e.g. '/orders/:id/pay'. */
  pattern: string;
  get?: Handler;
  post?: Handler;
}

/** Builds a Reply for a new request; the node thread uses it to time the answer for metrics. */
export type ReplyFactory = (res: HttpResponse) => Reply;

/**
 * Mounts routes on a uWS app. For each pattern, the methods it has are registered as such and `any` on the
 * same pattern answers 405 with Allow (uWS prefers a method-specific handler over `any`); `any('/*')`
 * answers 404. A handler that throws is answered 500 instead of killing the thread (Reply.guard; its body and
 * promise continuations go through Reply.guard and Reply.settle too).
 */
export function mount(app: TemplatedApp, routes: Route[], newReply: ReplyFactory): void {
  for (const route of routes) {
    const allow = [route.get ? 'GET' : '', route.post ? 'POST' : ''].filter(Boolean).join(', ');
    if (route.get) app.get(route.pattern, guarded(route.get, newReply));
    if (route.post) app.post(route.pattern, guarded(route.post, newReply));
    app.any(route.pattern, (res) => {
      newReply(res).error(
        { status: 405, error: 'METHOD_NOT_ALLOWED', msg: `this path answers ${allow} only` },
        [['Allow', allow]],
      );
    });
  }
  app.any('/*', (res, req) => {
    const url = req.getUrl();
    newReply(res).error({
      status: 404,
      error: 'NOT_FOUND',
      msg: `no route ${truncate(url)}: try GET /buy/ticket?user=U&sale=S, /orders/{id}, /sales/{id}, /healthz`,
    });
  });
}

function guarded(handler: Handler, newReply: ReplyFactory) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const reply = newReply(res);
    // Reply.guard's try/catch inline: no closure per request on the path that answers a flash sale's crowd.
    try {
      handler(reply, req);
    } catch (err) {
      reply.internal(err);
    }
    reply.watchAbort();
  };
}

function truncate(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}...` : clean;
}
