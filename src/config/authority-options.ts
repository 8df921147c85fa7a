import type { Checked } from '../rules/input-rules.js';
import { parseAddressList, sentinelTarget } from '../rules/redis-target.js';
import { ConfigError } from './errors.js';

/**
 * The authority's replicas as the node, the order worker and `up` take them (one definition, three commands):
 * Sentinels instead of one Redis URL, and how many replicas must have a write before it is confirmed.
 */
export const AUTHORITY_OPTIONS = {
  'redis-sentinels': {
    type: 'text',
    env: 'REDIS_SENTINELS',
    value: 'HOST:PORT,...',
    check: (v: string): Checked<{ host: string; port: number }[]> => {
      const list = parseAddressList(v);
      return typeof list === 'string' ? { ok: false, problem: list } : { ok: true, value: list };
    },
    help: 'find the master through these Sentinels instead of --redis (with --redis-master-name)',
  },
  'redis-master-name': { type: 'text', env: 'REDIS_MASTER_NAME', default: 'ticket-spike', value: 'NAME', help: 'the master the Sentinels monitor under this name' },
  'redis-password': { type: 'secret', env: 'REDIS_PASSWORD', minLength: 1, help: "with --redis-sentinels: the data nodes' password (the Sentinels' too, when they have one)" },
  'confirm-replicas': {
    type: 'int', min: 0, max: 16, default: 0, env: 'CONFIRM_REPLICAS', value: 'K',
    help: 'a purchase, pay, cancel, check-in or sale change is confirmed only once K replicas have it (WAIT); fewer in time is 503 OUTCOME_UNKNOWN',
  },
  'confirm-timeout-ms': { type: 'int', min: 10, max: 10_000, default: 500, env: 'CONFIRM_TIMEOUT_MS', help: 'how long a confirmation waits for the replicas' },
} as const;

export interface AuthorityValues {
  'redis-sentinels'?: { host: string; port: number }[];
  'redis-master-name': string;
  'redis-password'?: string;
  'confirm-replicas': number;
  'confirm-timeout-ms': number;
}

export interface Authority {
  /** One Redis URL, or the redis-sentinel:// form (src/rules/redis-target.ts). */
  redisUrl: string;
  confirm: { replicas: number; timeoutMs: number };
}

/**
 * --redis or --redis-sentinels (not both) -> the target string; the confirmation, checked against `maxWaitMs` (a
 * purchase's deadline: a WAIT longer than it could confirm a purchase already answered 503).
 */
export function authorityOf(v: AuthorityValues, redis: string | undefined, fallbackRedisUrl: () => string, maxWaitMs: number): Authority {
  const sentinels = v['redis-sentinels'];
  if (sentinels !== undefined && redis !== undefined) {
    throw new ConfigError('--redis-sentinels (or REDIS_SENTINELS)', 'give either --redis (one Redis) or --redis-sentinels (a replicated one), not both');
  }
  const redisUrl = sentinels !== undefined ? sentinelTarget(sentinels, v['redis-master-name'], v['redis-password']) : (redis ?? fallbackRedisUrl());
  const timeoutMs = v['confirm-timeout-ms'];
  if (v['confirm-replicas'] > 0 && timeoutMs >= maxWaitMs) {
    throw new ConfigError('--confirm-timeout-ms (or CONFIRM_TIMEOUT_MS)', `must be below ${maxWaitMs} ms (the time a purchase may take), got ${timeoutMs}`);
  }
  return { redisUrl, confirm: { replicas: v['confirm-replicas'], timeoutMs } };
}
