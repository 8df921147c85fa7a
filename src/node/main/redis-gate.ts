import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../../log/logger.js';
import { RedisStartCheck } from '../../redis/settings-check.js';

/**
 * The node's side of the Redis start check (src/redis/settings-check.ts): the Redis given must not evict and must
 * keep an AOF. Checked at start if Redis answers (refused: the node exits 2 before a thread starts). If it does not
 * answer yet, the node starts anyway (503 until it does) and checks on the connection's first `ready` — and the
 * sale registry looks nothing up before the check passed (`passed()` gates its reader), so no purchase reaches a
 * Redis the node then refuses: it drains (nothing was sold) and exits 2.
 */
export class RedisGate {
  private readonly check: RedisStartCheck;
  private refusal: string | null = null;
  private stop: (() => void) | null = null;

  constructor(
    private readonly redis: Redis | Cluster,
    allowUnsafe: boolean,
    log: Logger,
  ) {
    this.check = new RedisStartCheck(redis, {
      allowUnsafe,
      log,
      onRefused: (message) => {
        log.fatal(`refusing this Redis: ${message}`);
        this.refusal = message;
        this.stop?.();
      },
    });
  }

  /** The first check, once the connection had its chance: false when the node must not start (exit 2). */
  async atStart(): Promise<boolean> {
    const result = await this.check.check();
    if (result === 'unreachable') this.redis.on('ready', () => void this.check.check());
    return result !== 'refused';
  }

  /** Resolves once Redis passed the check (checking now if it has not); rejects until then. */
  passed(): Promise<void> {
    return this.check.passed();
  }

  /** How a refusal after start stops the node (its graceful shutdown); called at once if one came already. */
  onRefusal(stop: () => void): void {
    this.stop = stop;
    if (this.refusal !== null) stop();
  }

  /** The node's exit code when it stops: 2 after a refusal. */
  get exitCode(): number {
    return this.refusal === null ? 0 : 2;
  }
}
