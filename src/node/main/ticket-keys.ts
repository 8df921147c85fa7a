import { ConfigError } from '../../config/errors.js';
import type { Logger } from '../../log/logger.js';
import { loadKeyDir, memoryKeySet, sameKeySet, TicketKeyError, type TicketKeySet } from '../../tickets/keys.js';

/**
 * The node's e-ticket keys, owned by the main thread. With a key directory (--ticket-keys / TICKET_KEYS_DIR)
 * they are read at start — a directory that cannot be used stops the node with a ConfigError naming the file —
 * and re-read every `reloadMs` (0: never) and on SIGHUP; a changed set (a rotation) goes to every thread
 * through `changed`. A directory that turns bad later is logged and the last good set kept. Without a
 * directory the node makes a key in memory: its tickets verify on this node, until it restarts, only.
 */
export class TicketKeyWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly onHup = () => this.reload('SIGHUP');

  private constructor(
    private readonly dir: string | null,
    public keys: TicketKeySet,
    private readonly log: Logger,
    private readonly changed: (keys: TicketKeySet) => void,
  ) {}

  static start(dir: string | null, reloadMs: number, log: Logger, changed: (keys: TicketKeySet) => void): TicketKeyWatch {
    if (dir === null) {
      const watch = new TicketKeyWatch(null, memoryKeySet(), log, changed);
      log.warn(
        { kid: watch.keys.current },
        'no ticket key directory (--ticket-keys or TICKET_KEYS_DIR): e-tickets are signed with a key made in memory, so other nodes and a restarted node will not verify them',
      );
      return watch;
    }
    let keys: TicketKeySet;
    try {
      keys = loadKeyDir(dir);
    } catch (err) {
      if (err instanceof TicketKeyError) throw new ConfigError('--ticket-keys (or TICKET_KEYS_DIR)', err.message);
      throw err;
    }
    const watch = new TicketKeyWatch(dir, keys, log, changed);
    log.info({ dir, current: keys.current, keys: keys.keys.length }, 'ticket keys loaded');
    if (reloadMs > 0) {
      watch.timer = setInterval(() => watch.reload('timer'), reloadMs);
      watch.timer.unref();
    }
    process.on('SIGHUP', watch.onHup);
    return watch;
  }

  /** Re-reads the directory; tells the threads when the set changed. */
  reload(why: string): void {
    if (this.dir === null) return;
    let keys: TicketKeySet;
    try {
      keys = loadKeyDir(this.dir);
    } catch (err) {
      this.log.error({ err: (err as Error).message, why }, 'ticket key directory unusable; keeping the keys loaded before');
      return;
    }
    if (sameKeySet(keys, this.keys)) return;
    this.keys = keys;
    this.log.info({ dir: this.dir, current: keys.current, keys: keys.keys.length, why }, 'ticket keys reloaded');
    this.changed(keys);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    process.off('SIGHUP', this.onHup);
  }
}
