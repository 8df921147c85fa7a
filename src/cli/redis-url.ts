import { checkRedisUrl, DEFAULT_REDIS_URL } from '../config/node-config.js';
import { readUpState } from '../launcher/state.js';

/**
 * Where Redis is when neither --redis nor REDIS_URL says: the Redis of a running `ticket-spike up` (its state
 * file under var/, so `audit --sale demo` works with no flags), else the default.
 */
export function discoveredRedisUrl(env: NodeJS.ProcessEnv, runningUp: () => string | undefined = () => readUpState(env)?.redisUrl): string {
  return runningUp() ?? DEFAULT_REDIS_URL;
}

/** The --redis option every CLI command that talks to Redis takes (REDIS_URL, else a running `up`'s). */
export const REDIS_OPTION = {
  type: 'text',
  env: 'REDIS_URL',
  value: 'URL',
  url: 'may-carry-password',
  check: checkRedisUrl,
  help: `Redis (default: the Redis of a running \`ticket-spike up\`, else ${DEFAULT_REDIS_URL})`,
} as const;
