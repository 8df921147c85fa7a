// The fsync bound. With appendfsync always Redis writes and fdatasyncs its AOF once per event-loop turn, before
// it answers anything that turn wrote; so no design that confirms each purchase after its commit can go faster
// than the disk's fsync allows:
//   - C connections, each waiting for one answer: at most C purchases in one turn, so C / fsync purchases a second;
//   - one purchase per fsync at a time (one lock held across the commit, like the article): 1 / fsync.
// measureFsync times the disk once, at the start of a run, where the Redis servers keep their AOF; the rest is
// the arithmetic, pure.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './rounds.js';

export interface FsyncTiming {
  /** One append of `bytes` + fdatasync, in µs. */
  medianUs: number;
  p90Us: number;
  samples: number;
  bytes: number;
  /** Where the bench's Redis servers make their data directories; timed in a fresh directory under it. */
  dir: string;
}

export interface FsyncBound {
  connections: number;
  /** C / fsync: purchases a second with every connection's purchase in every fsync. */
  boundPerSec: number;
  /** 1 / fsync: purchases a second committed one per fsync. */
  oneAtATimePerSec: number;
  /** committed/s over boundPerSec: how close the row came to the bound (1 = there). */
  ofBound: number;
  /** committed/s x fsync time: purchases each fsync carried on average, were Redis fsyncing back to back (<= C). */
  perFsync: number;
}

/** Nearest-rank percentile of sorted values. Pure. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Median and p90 (µs, 1 decimal) of per-fsync times. Pure. */
export function fsyncStats(samplesUs: number[], bytes: number, dir: string): FsyncTiming {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const oneDecimal = (n: number) => Number(n.toFixed(1));
  return { medianUs: oneDecimal(median(sorted) ?? 0), p90Us: oneDecimal(percentile(sorted, 90)), samples: sorted.length, bytes, dir };
}

/** The bound a row's committed/s is held to. null without a usable fsync time. Pure. */
export function fsyncBound(connections: number, committedPerSec: number, fsync: FsyncTiming | null): FsyncBound | null {
  if (fsync === null || fsync.medianUs <= 0 || connections <= 0) return null;
  const seconds = fsync.medianUs / 1e6;
  const boundPerSec = connections / seconds;
  return {
    connections,
    boundPerSec: Math.round(boundPerSec),
    oneAtATimePerSec: Math.round(1 / seconds),
    ofBound: Number((committedPerSec / boundPerSec).toFixed(3)),
    perFsync: Number((committedPerSec * seconds).toFixed(2)),
  };
}

/**
 * `samples` x (append `bytes` to a file + fdatasync) in a fresh directory under `parent`, as Redis appends its AOF
 * and fdatasyncs it (Linux). Synchronous: nothing else of the bench runs meanwhile.
 */
export function measureFsync(parent: string, samples = 200, bytes = 4096): FsyncTiming {
  const dir = mkdtempSync(join(parent, 'ts-fsync-'));
  const block = Buffer.alloc(bytes, 'x');
  const times: number[] = [];
  const fd = openSync(join(dir, 'appendonly.aof'), 'a');
  try {
    for (let i = 0; i < samples; i++) {
      const start = process.hrtime.bigint();
      writeSync(fd, block);
      fdatasyncSync(fd);
      times.push(Number(process.hrtime.bigint() - start) / 1000);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return fsyncStats(times, bytes, parent);
}
