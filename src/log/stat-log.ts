import { openSync, write, closeSync, constants } from 'node:fs';

/**
 * The node's purchase log, like the article's stat.log but without its per-request open: one line per
 * purchase outcome (time, thread, sale, outcome, order id, local quota), buffered in memory and appended
 * every `flushMs` or every `maxLines` lines with ONE write to a file descriptor opened ONCE with O_APPEND.
 * Every thread of the node appends to the same file; O_APPEND makes each batch land whole at the end.
 */
export class StatLog {
  private fd: number;
  private lines: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    path: string,
    private readonly thread: number,
    flushMs = 100,
    private readonly maxLines = 512,
  ) {
    this.fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o644);
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  /** Tab-separated: ISO time, thread, sale, outcome, order id ('-' if none), local quota after the purchase. */
  record(sale: string, outcome: string, orderId: string | undefined, localQuota: number): void {
    if (this.fd < 0) return;
    this.lines.push(`${new Date().toISOString()}\tt${this.thread}\t${sale}\t${outcome}\t${orderId ?? '-'}\t${localQuota}\n`);
    if (this.lines.length >= this.maxLines) void this.flush();
  }

  /** Hands the buffered lines to one write; writes are chained so batches stay in order. */
  flush(): Promise<void> {
    if (this.lines.length === 0 || this.fd < 0) return this.writing;
    const data = Buffer.from(this.lines.join(''));
    this.lines = [];
    const fd = this.fd;
    this.writing = this.writing.then(
      () =>
        new Promise<void>((resolve) => {
          write(fd, data, 0, data.length, null, () => resolve());
        }),
    );
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
