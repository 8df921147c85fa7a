// The progress bar (cli-progress): one step per run, the current scenario, system and step beside it, and the
// result lines printed above it. Without a terminal (CI) it prints the bar as a line every few seconds instead.
import cliProgress from 'cli-progress';

export interface Progress {
  step(label: string): void;
  done(line: string): void;
  log(line: string): void;
  stop(): void;
}

export function progressBar(total: number): Progress {
  const tty = process.stderr.isTTY === true;
  const multi = new cliProgress.MultiBar(
    {
      format: ' {bar} {value}/{total} runs | {duration_formatted} | {label}',
      hideCursor: tty,
      noTTYOutput: !tty,
      notTTYSchedule: 5000,
      stream: process.stderr,
      clearOnComplete: false,
      etaBuffer: 4,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(total, 0, { label: 'starting' });
  return {
    step: (label) => bar.update({ label }),
    done: (line) => {
      multi.log(`${line}\n`);
      bar.increment();
    },
    log: (line) => multi.log(`${line}\n`),
    stop: () => multi.stop(),
  };
}
