/**
 * SIGTERM / SIGINT: the first runs the graceful stop (and exits with its code); a second one while it runs exits
 * at once with 1 (an operator who presses Ctrl-C twice means it). `hardTimeoutMs` bounds the graceful part.
 *
 * Installed first thing at start, not once the node is up: a node's threads answer /readyz before the main
 * thread has finished starting, and a SIGTERM in that window (a supervisor that gave up waiting, a test on a
 * busy machine) would otherwise end the process by the signal's default action — no drain, no exit code, the
 * stat log unflushed. A signal during start waits for `ready()` and then stops gracefully, within the same bound.
 */
export class ShutdownSignals {
  private graceful: ((signal: NodeJS.Signals) => Promise<number>) | null = null;
  private pending: NodeJS.Signals | null = null;
  private started = false;

  constructor(
    private readonly log: (msg: string) => void,
    private readonly hardTimeoutMs = 15_000,
  ) {
    const handler = (signal: NodeJS.Signals) => this.on(signal);
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  }

  /** The node is up: this is how it stops (now, if a signal came during start). */
  ready(graceful: (signal: NodeJS.Signals) => Promise<number>): void {
    this.graceful = graceful;
    if (this.pending !== null) this.run(this.pending);
  }

  private on(signal: NodeJS.Signals): void {
    if (this.started) {
      this.log(`second ${signal}: exiting now`);
      process.exit(1);
    }
    this.started = true;
    const timer = setTimeout(() => {
      this.log(`graceful shutdown took over ${this.hardTimeoutMs} ms: exiting`);
      process.exit(1);
    }, this.hardTimeoutMs);
    timer.unref();
    if (this.graceful === null) {
      this.log(`${signal} while starting: stopping as soon as the node is up`);
      this.pending = signal;
      return;
    }
    this.run(signal);
  }

  private run(signal: NodeJS.Signals): void {
    const graceful = this.graceful;
    if (graceful === null) return;
    graceful(signal).then(
      (code) => process.exit(code),
      () => process.exit(1),
    );
  }
}
