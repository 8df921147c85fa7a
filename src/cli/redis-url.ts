import { readUpState } from '../launcher/state.js';

/** Where Redis is when nothing else says so. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The one place every command finds Redis: --redis, then REDIS_URL, then the Redis of a running
 * `ticket-spike up` (its state file under var/, so `audit --sale demo` works with no flags), then the default.
 */
export function resolveRedisUrl(
  flags: { redis?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
  runningUp: () => string | undefined = () => readUpState()?.redisUrl,
): string {
  if (flags.redis !== undefined && flags.redis !== '') return flags.redis;
  if (env['REDIS_URL'] !== undefined && env['REDIS_URL'] !== '') return env['REDIS_URL'];
  return runningUp() ?? DEFAULT_REDIS_URL;
}
