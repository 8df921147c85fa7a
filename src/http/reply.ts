import type { HttpResponse } from 'uWebSockets.js';
import type { Rejection } from './request-rules.js';

/** What the owner of the thread learns about each request's answer (metrics, shutdown's wait for idle). */
export interface ReplyHooks {
  /** The answer left with this status; `startedAt` is performance.now() when the request came in. */
  onEnd(status: number, startedAt: number): void;
  /** The client went away before an answer was written. */
  onAbort(): void;
  /**
   * A 5xx had an internal cause (a Redis or pool error, a throw): it goes to the log here, never into the body,
   * whose message says what the client can do instead. `code` is the answer's stable error code.
   */
  onFault?(code: string, cause: unknown): void;
}

/** What every Reply of a thread shares: one object, so a Reply carries only what is its own. */
export interface ReplyContext {
  /** X-Served-By of every answer. */
  readonly servedBy: string;
  /** Exactly one of onEnd and onAbort is called per Reply, once. */
  readonly hooks?: ReplyHooks;
  /** True while the node is shutting down: every answer then closes its connection so the client goes elsewhere. */
  closing?(): boolean;
}

/**
 * One request's answer channel. uWS frees `res` when the client goes away (onAborted) or once it has been
 * ended; touching it after either is a use-after-free that kills the thread. Every write goes through
 * `send`, which checks both flags, and corks so status, headers and body leave in one syscall.
 *
 * onAborted is registered by `watchAbort()`, which the router calls when the handler returns without having
 * answered — not in the constructor. uWS delivers an abort only from its event loop, never while a handler runs,
 * so registering it as the handler returns is as safe as registering it first; and the answers given at once
 * (sold out, not open, every 4xx — most of a flash sale) skip a native call and a closure each (issue 21).
 */
export class Reply {
  aborted = false;
  done = false;
  /** performance.now() when the request came in (for the latency the hooks record). */
  readonly startedAt = performance.now();
  constructor(
    readonly res: HttpResponse,
    private readonly context: ReplyContext,
  ) {}

  /** Before the handler returns unanswered (the hot path's rule 1: an async answer needs onAborted). */
  watchAbort(): void {
    if (this.done) return;
    this.res.onAborted(() => {
      this.aborted = true;
      if (!this.done) this.context.hooks?.onAbort();
    });
  }

  /** True when an answer can still be written. */
  get open(): boolean {
    return !this.aborted && !this.done;
  }

  send(
    status: number,
    body: string,
    headers?: ReadonlyArray<readonly [string, string]>,
    closeConnection = false,
    contentType = 'application/json',
  ): void {
    if (!this.open) return;
    this.done = true;
    const res = this.res;
    const context = this.context;
    const close = closeConnection || context.closing?.() === true;
    res.cork(() => {
      res.writeStatus(STATUS_LINES[status] ?? String(status));
      res.writeHeader('Content-Type', contentType);
      res.writeHeader('X-Served-By', context.servedBy);
      if (headers !== undefined) for (const [name, value] of headers) res.writeHeader(name, value);
      res.end(body, close);
    });
    context.hooks?.onEnd(status, this.startedAt);
  }

  /**
   * A business answer: HTTP 200, `{"code","msg","data"}` (code 1 success, -1 sold out, -2 limit, -3 not open).
   * `padTo` pads the JSON with trailing spaces (still valid JSON) to at least that many bytes.
   */
  ok(code: number, msg: string, data?: unknown, padTo = 0): void {
    const body = JSON.stringify({ code, msg, data: data ?? null });
    this.send(200, body.length < padTo ? body.padEnd(padTo) : body);
  }

  /** An error: `{"code": <http status>, "msg", "error": <STABLE_CODE>}` plus optional data. */
  error(rejection: Rejection, headers?: ReadonlyArray<readonly [string, string]>, data?: unknown, closeConnection = false): void {
    const body: Record<string, unknown> = { code: rejection.status, msg: rejection.msg, error: rejection.error };
    if (data !== undefined) body['data'] = data;
    this.send(rejection.status, JSON.stringify(body), headers, closeConnection);
  }

  /**
   * 503 with Retry-After: Redis is away or the outcome is not known yet (data may carry the orderId). `cause`, the
   * internal error behind it, is logged (ReplyHooks.onFault) and never sent.
   */
  unavailable(error: string, msg: string, data?: unknown, cause?: unknown): void {
    if (cause !== undefined) this.context.hooks?.onFault?.(error, cause);
    this.error({ status: 503, error, msg }, [['Retry-After', '1']], data);
  }

  /**
   * Runs one step of the answer — a handler, a body callback, a promise's continuation — so that a throw in it
   * ends in the 500 below instead of escaping into uWS (which ends the thread) or into a promise nobody holds.
   */
  guard(step: () => void): void {
    try {
      step();
    } catch (err) {
      this.internal(err);
    }
  }

  /**
   * The one way a route waits: `onValue` or `onError` (default: the 500) runs under guard once `work` settles,
   * so no rejection goes unhandled and no continuation can throw past the answer. Lint keeps routes from calling
   * then/catch themselves (eslint.config.js).
   */
  settle<T>(work: Promise<T>, onValue: (value: T) => void, onError: (err: unknown) => void = (err) => this.internal(err)): void {
    work.then(
      (value) => this.guard(() => onValue(value)),
      (err: unknown) => this.guard(() => onError(err)),
    );
  }

  /** 500 for a throw no route foresaw: the error is logged, the client is told to retry and report it. */
  internal(cause: unknown): void {
    this.context.hooks?.onFault?.('INTERNAL', cause);
    this.error({ status: 500, error: 'INTERNAL', msg: 'internal error (logged on this node): retry, and report it if it lasts' });
  }
}

const STATUS_LINES: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  411: '411 Length Required',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  422: '422 Unprocessable Entity',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};
