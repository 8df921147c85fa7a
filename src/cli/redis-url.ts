import { DEFAULT_REDIS_URL } from '../config/node-config.js';
import { readUpState } from '../launcher/state.js';

/**
 * Where Redis is when neither --redis nor REDIS_URL says: the Redis of a running `ticket-spike up` (its state
 * file under var/, so `audit --sale demo` works with no flags), else the default.
 */
export function discoveredRedisUrl(env: NodeJS.ProcessEnv, runningUp: () => string | undefined = () => readUpState(env)?.redisUrl): string {
  return runningUp() ?? DEFAULT_REDIS_URL;
}
