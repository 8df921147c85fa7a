import { httpRequest, type HttpAnswer } from '../../src/launcher/probe.js';

export type FromAnswer = HttpAnswer;

/**
 * One request on its own connection from a chosen local address: every 127.x.y.z is this machine, so a test
 * can be a second client address (127.0.0.2) — a peer that is not a trusted proxy — without any network setup.
 */
export function requestFrom(
  port: number,
  path: string,
  options: { localAddress?: string; headers?: Record<string, string>; method?: string; timeoutMs?: number } = {},
): Promise<FromAnswer> {
  return httpRequest(port, path, { ...options, localAddress: options.localAddress ?? '127.0.0.1', timeoutMs: options.timeoutMs ?? 5000 });
}
