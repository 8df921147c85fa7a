import { Launcher, Interrupted } from '../launcher/launcher.js';
import { LaunchError } from '../launcher/errors.js';
import { createLauncherLog } from '../launcher/log.js';
import { parseUpArgs, UP_HELP } from '../launcher/options.js';
import { findProjectRoot, resolveVarDir } from '../launcher/paths.js';

/**
 * `ticket-spike up`: the production-style local run (see src/launcher/launcher.ts). Resolves with the exit
 * code once everything has stopped: 0 after Ctrl-C / SIGTERM, 1 when start failed (one line on stderr,
 * no stack trace), 2 for bad flags.
 */
export async function runUp(argv: string[]): Promise<number> {
  let launcher: Launcher | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (launcher === undefined) return;
    process.stderr.write(`ticket-spike up: ${sig}: stopping nginx, the nodes and Redis...\n`);
    launcher.interrupt();
    stopRequested();
  };
  let stopRequested: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve));
  const onExit = () => launcher?.killAllNow();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('exit', onExit);
  try {
    const options = parseUpArgs(argv);
    if (options.help) {
      process.stdout.write(UP_HELP);
      return 0;
    }
    const projectRoot = findProjectRoot();
    const varDir = resolveVarDir(projectRoot, options.varDir);
    const log = createLauncherLog();
    launcher = new Launcher(options, projectRoot, varDir, log);
    try {
      await launcher.start();
    } catch (err) {
      await launcher.stop();
      if (err instanceof Interrupted) return 0;
      throw err;
    }
    process.stdout.write(launcher.summary());
    await stopSignal;
    await launcher.stop();
    process.stderr.write('ticket-spike up: stopped.\n');
    return 0;
  } catch (err) {
    if (err instanceof LaunchError) {
      process.stderr.write(`ticket-spike up: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('exit', onExit);
  }
}
