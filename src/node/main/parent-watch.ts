/**
 * Ends the node when the process that supervises it is gone. `up` runs nodes detached (a terminal Ctrl-C
 * reaches only `up`), so a SIGKILLed `up` would leave them serving forever with nobody to stop them.
 *
 * While the parent lives, the node's parent pid is the parent's; when it dies the node is re-parented
 * (to pid 1 or a subreaper) and process.ppid changes — a test immune to pid reuse. A node started some
 * other way (not a child of `parentPid`) can only ask whether that pid still exists.
 */
export function watchParent(parentPid: number, onGone: (why: string) => void, intervalMs = 250): () => void {
  const byPpid = process.ppid === parentPid;
  const gone = (): string | undefined => {
    if (byPpid) return process.ppid !== parentPid ? `parent pid ${parentPid} is gone (now ${process.ppid})` : undefined;
    try {
      process.kill(parentPid, 0);
      return undefined;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH' ? `process ${parentPid} is gone` : undefined;
    }
  };
  const timer = setInterval(() => {
    const why = gone();
    if (why === undefined) return;
    clearInterval(timer);
    onGone(why);
  }, intervalMs);
  // The watch alone must not keep a node alive that is otherwise done.
  timer.unref();
  return () => clearInterval(timer);
}
