/** Where Redis is when nothing else says so. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The one place every command finds Redis: --redis, then REDIS_URL, then the default.
 * (The `up` command will extend this to find a running `up`'s embedded Redis through its state file under
 * var/; keep every command going through here.)
 */
export function resolveRedisUrl(flags: { redis?: string | undefined }, env: NodeJS.ProcessEnv = process.env): string {
  if (flags.redis !== undefined && flags.redis !== '') return flags.redis;
  if (env['REDIS_URL'] !== undefined && env['REDIS_URL'] !== '') return env['REDIS_URL'];
  return DEFAULT_REDIS_URL;
}
