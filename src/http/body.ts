import type { HttpRequest } from 'uWebSockets.js';
import type { Reply } from './reply.js';
import type { Rejection } from './request-rules.js';

/**
 * The request's Content-Length, copied synchronously, or a 400 when it is ambiguous: RFC 9112 §6.3 — several
 * Content-Length fields that disagree make the message's framing unknowable, so the server must refuse it
 * and close the connection (uWS itself keeps the first one). '' = none sent.
 */
export function contentLengthOf(req: HttpRequest): string | Rejection {
  let value: string | undefined;
  let conflict = false;
  req.forEach((name, v) => {
    if (name !== 'content-length') return;
    if (value === undefined) value = v;
    else if (v.trim() !== value.trim()) conflict = true;
  });
  if (conflict) {
    return { status: 400, error: 'BAD_CONTENT_LENGTH', msg: 'the request has Content-Length fields that disagree: send one' };
  }
  return value ?? '';
}

/**
 * Reads a request body of at most `maxBytes`, enforced here in onData (uWS has no cap of its own): a client
 * that announces or sends more gets 413 and the connection is closed so we stop reading. uWS reuses the
 * chunk's memory after the callback returns, so every chunk is copied.
 *
 * `contentLength` must be copied from the request synchronously by the caller (req dies with the handler).
 */
export function readBody(
  reply: Reply,
  contentLength: string,
  maxBytes: number,
  onBody: (text: string) => void,
): void {
  const announced = contentLength === '' ? -1 : Number(contentLength);
  if (announced > maxBytes) {
    // Answer before reading a byte; closing the connection discards whatever the client still sends.
    tooLarge(reply, maxBytes);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  // Under guard: uWS calls onData outside the handler, where a throw would end the thread.
  reply.res.onData((chunk, isLast) => reply.guard(() => {
    if (finished) return;
    size += chunk.byteLength;
    if (size > maxBytes) {
      finished = true;
      tooLarge(reply, maxBytes);
      return;
    }
    chunks.push(Buffer.from(chunk.slice(0)));
    if (isLast) {
      finished = true;
      if (!reply.open) return;
      let text: string;
      try {
        text = Buffer.concat(chunks, size).toString('utf8');
      } catch {
        text = '';
      }
      onBody(text);
    }
  }));
}

function tooLarge(reply: Reply, maxBytes: number): void {
  reply.error(
    { status: 413, error: 'BODY_TOO_LARGE', msg: `the body is larger than ${maxBytes} bytes: send a small JSON object` },
    undefined,
    undefined,
    true,
  );
}

/** True when a Content-Type header names JSON (charset and other parameters allowed). */
export function isJson(contentType: string): boolean {
  return /^application\/(?:[a-z0-9.+-]*\+)?json\s*(?:;.*)?$/i.test(contentType.trim());
}
