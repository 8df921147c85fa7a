import { Cluster, type Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';

/**
 * What a process that writes sales needs of the Redis it is given (issue 18), checked once at start on every
 * master: `maxmemory-policy noeviction` (any other policy may evict a sale's orders, holders or counters under
 * memory pressure — `allkeys-lru` is a common managed-Redis default) and `appendonly yes` (without the AOF a
 * restart forgets confirmed sales). `appendfsync` is logged: `always` is what `up` runs (docs/architecture.md,
 * "Settings that bite"); `everysec` may lose the last second of confirmed sales on a machine crash.
 *
 * Read with CONFIG GET; where CONFIG is disabled, renamed or denied by an ACL (managed Redis often does that),
 * from INFO (`maxmemory_policy`, `aof_enabled`), and appendfsync is then unknown. When neither answers, the
 * settings cannot be checked: the process starts with a warning that says what to make sure of (a refusal
 * would leave a Redis that hides its settings unusable).
 */

/** The settings that are required, and the value each must have. */
export const REQUIRED = {
  'maxmemory-policy': { want: 'noeviction', why: "Redis may evict a sale's orders, holders or counters when memory runs short" },
  appendonly: { want: 'yes', why: 'a Redis restart forgets every confirmed sale since its last snapshot' },
} as const;

export type RequiredSetting = keyof typeof REQUIRED;

/** One master's settings as read; null = could not be read. */
export interface ServerSettings {
  /** host:port */
  server: string;
  'maxmemory-policy': string | null;
  appendonly: string | null;
  appendfsync: string | null;
  /** Where they came from: CONFIG GET, INFO (CONFIG refused), or nowhere (both refused). */
  source: 'config' | 'info' | 'none';
}

export interface SettingProblem {
  server: string;
  setting: RequiredSetting;
  value: string;
}

export type SettingsVerdict =
  | { kind: 'safe'; servers: ServerSettings[] }
  | { kind: 'unsafe'; servers: ServerSettings[]; problems: SettingProblem[] }
  /** A required setting could not be read on some master (CONFIG and INFO refused). */
  | { kind: 'unchecked'; servers: ServerSettings[]; unread: string[] };

/** Redis answered with an error (a refused or unknown command), as opposed to not answering at all. */
function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}

function serverOf(client: Redis): string {
  const o = client.options;
  return o.path !== undefined && o.path !== '' ? o.path : `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}

async function configGet(client: Redis, name: string): Promise<string | null> {
  const reply: unknown = await client.config('GET', name);
  // [name, value], or [] for a parameter this Redis does not have.
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : null;
}

function infoField(info: string, field: string): string | null {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  return m === null ? null : m[1].trim();
}

/**
 * One server's settings. Throws when the server does not answer at all (a connection error or timeout: the
 * caller checks again once it is reachable); a refused command only falls back.
 */
export async function readServerSettings(client: Redis): Promise<ServerSettings> {
  const server = serverOf(client);
  try {
    const [policy, aof, fsync] = await Promise.all([configGet(client, 'maxmemory-policy'), configGet(client, 'appendonly'), configGet(client, 'appendfsync')]);
    if (policy !== null && aof !== null) return { server, 'maxmemory-policy': policy, appendonly: aof, appendfsync: fsync, source: 'config' };
  } catch (err) {
    if (!isReplyError(err)) throw err;
  }
  try {
    const info = await client.info();
    const policy = infoField(info, 'maxmemory_policy');
    const aof = infoField(info, 'aof_enabled');
    return { server, 'maxmemory-policy': policy, appendonly: aof === null ? null : aof === '1' ? 'yes' : 'no', appendfsync: null, source: 'info' };
  } catch (err) {
    if (!isReplyError(err)) throw err;
    return { server, 'maxmemory-policy': null, appendonly: null, appendfsync: null, source: 'none' };
  }
}

/** Every master's settings: each master of a Cluster, or the one server. */
export async function readSettings(client: Redis | Cluster): Promise<ServerSettings[]> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client];
  if (servers.length === 0) throw new Error('the Redis Cluster client knows no master yet');
  return Promise.all(servers.map((server) => readServerSettings(server)));
}

export function judgeSettings(servers: ServerSettings[]): SettingsVerdict {
  const problems: SettingProblem[] = [];
  const unread: string[] = [];
  for (const s of servers) {
    for (const setting of Object.keys(REQUIRED) as RequiredSetting[]) {
      const value = s[setting];
      if (value === null) unread.push(`${setting} on ${s.server}`);
      else if (value !== REQUIRED[setting].want) problems.push({ server: s.server, setting, value });
    }
  }
  if (problems.length > 0) return { kind: 'unsafe', servers, problems };
  if (unread.length > 0) return { kind: 'unchecked', servers, unread };
  return { kind: 'safe', servers };
}

/** What is wrong and how to fix it, one sentence per problem. */
export function problemMessage(problems: SettingProblem[]): string {
  return problems
    .map(({ server, setting, value }) => {
      const { want, why } = REQUIRED[setting];
      return (
        `Redis ${server} has ${setting} ${value}, not ${want}: ${why}. ` +
        `Set "${setting} ${want}" in its redis.conf (or CONFIG SET ${setting} ${want}, then CONFIG REWRITE)`
      );
    })
    .join('; ');
}

export const ALLOW_UNSAFE_FLAG = '--allow-unsafe-redis';

export type StartCheckResult = 'passed' | 'refused' | 'unreachable';

export interface StartCheckOptions {
  /** --allow-unsafe-redis: an unsafe Redis is logged as a warning and used anyway. */
  allowUnsafe: boolean;
  log: Pick<Logger, 'info' | 'warn' | 'fatal'>;
  /** Called once when the check refuses this Redis (the message names the setting and the fix). */
  onRefused: (message: string) => void;
}

/**
 * The start check of a node or an order worker. `check()` reads and judges the settings once they can be read:
 * 'passed' (safe, allowed unsafe, or not checkable — each logged), 'refused' (onRefused called), or
 * 'unreachable' (Redis did not answer: check again later — a Redis that is down at start is not a refusal).
 * After it passed it never asks Redis again; concurrent calls share one check.
 */
export class RedisStartCheck {
  private result: StartCheckResult = 'unreachable';
  private running: Promise<StartCheckResult> | null = null;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly options: StartCheckOptions,
  ) {}

  get state(): StartCheckResult {
    return this.result;
  }

  check(): Promise<StartCheckResult> {
    if (this.result !== 'unreachable') return Promise.resolve(this.result);
    this.running ??= readSettings(this.client).then(
      (servers) => {
        this.running = null;
        this.result = this.judge(judgeSettings(servers));
        return this.result;
      },
      () => {
        this.running = null;
        return 'unreachable' as const;
      },
    );
    return this.running;
  }

  /** Resolves once the check passed (checking now if it has not yet); rejects while Redis is unreachable or refused. */
  async passed(): Promise<void> {
    const result = await this.check();
    if (result !== 'passed') throw new Error(result === 'refused' ? 'Redis was refused at start (see the log)' : 'Redis has not been reachable yet to be checked');
  }

  private judge(verdict: SettingsVerdict): StartCheckResult {
    const { log } = this.options;
    for (const s of verdict.servers) {
      log.info({ redis: s.server, appendfsync: s.appendfsync ?? 'unknown (CONFIG not available)', 'maxmemory-policy': s['maxmemory-policy'], appendonly: s.appendonly, source: s.source }, 'Redis settings');
    }
    switch (verdict.kind) {
      case 'safe':
        return 'passed';
      case 'unchecked':
        log.warn(
          { unread: verdict.unread },
          'cannot check the Redis settings (CONFIG and INFO refused): make sure every master has maxmemory-policy noeviction and appendonly yes',
        );
        return 'passed';
      case 'unsafe': {
        const message = problemMessage(verdict.problems);
        if (this.options.allowUnsafe) {
          log.warn({ problems: verdict.problems }, `${ALLOW_UNSAFE_FLAG}: running on an unsafe Redis. ${message}`);
          return 'passed';
        }
        this.options.onRefused(`${message}; or start with ${ALLOW_UNSAFE_FLAG} to run on it anyway`);
        return 'refused';
      }
    }
  }
}
