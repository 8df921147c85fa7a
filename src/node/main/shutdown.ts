/**
 * SIGTERM / SIGINT: the first runs `graceful` (and exits with its code); a second one while it runs exits
 * at once with 1 (an operator who presses Ctrl-C twice means it). `hardTimeoutMs` bounds the graceful part.
 */
export function onShutdownSignals(
  graceful: (signal: NodeJS.Signals) => Promise<number>,
  log: (msg: string) => void,
  hardTimeoutMs = 15_000,
): void {
  let started = false;
  const handler = (signal: NodeJS.Signals) => {
    if (started) {
      log(`second ${signal}: exiting now`);
      process.exit(1);
    }
    started = true;
    const timer = setTimeout(() => {
      log(`graceful shutdown took over ${hardTimeoutMs} ms: exiting`);
      process.exit(1);
    }, hardTimeoutMs);
    timer.unref();
    graceful(signal).then(
      (code) => process.exit(code),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
