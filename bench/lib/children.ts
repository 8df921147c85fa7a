// Every process the bench starts is registered here and stopped by its pid — at the end of each scenario, and
// on an error or Ctrl-C — so a run never leaves a server behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv } from '../../test/helpers/env.js';

export interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  exited: Promise<void>;
}

const live = new Set<Child>();
/** Whole systems (nginx and Redis are started by test/helpers, not here): stopped first on Ctrl-C. */
const systems = new Set<{ stop(): Promise<void> }>();
/** Load generators (wrk, ab): killed at once on Ctrl-C. */
const loads = new Set<ChildProcess>();

/** Registers a started system until it is stopped; returns the function that unregisters it. */
export function trackSystem(system: { stop(): Promise<void> }): () => void {
  systems.add(system);
  return () => systems.delete(system);
}

/** Registers a load generator until it exits. */
export function trackLoad(proc: ChildProcess): void {
  loads.add(proc);
  proc.once('exit', () => loads.delete(proc));
}

/** Starts `command args` with stdout and stderr in `logFile`. */
export function startChild(name: string, command: string, args: string[], logFile: string, cwd?: string): Child {
  const fd = openSync(logFile, 'a');
  const proc = spawn(command, args, { cwd, stdio: ['ignore', fd, fd], env: childEnv() });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = { name, proc, logFile, exited };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

export function isRunning(child: Child): boolean {
  return child.proc.exitCode === null && child.proc.signalCode === null;
}

/** SIGTERM (the servers drain), then SIGKILL after `graceMs`. */
export async function stopChild(child: Child, graceMs = 5000): Promise<void> {
  if (!isRunning(child)) return;
  child.proc.kill('SIGTERM');
  const done = await Promise.race([child.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    child.proc.kill('SIGKILL');
    await child.exited;
  }
}

/** Stops everything still running: the load, then each system (nginx, nodes, Redis), then any stray child. */
export async function stopAllChildren(): Promise<void> {
  for (const proc of loads) proc.kill('SIGKILL');
  for (const system of [...systems]) {
    await system.stop().catch(() => undefined);
    systems.delete(system);
  }
  for (const child of [...live].reverse()) await stopChild(child);
}

/** Polls GET url until it answers 200; fails early when the child died. */
export async function waitHttp(child: Child, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(child)) throw new Error(`${child.name} exited before ${url} answered 200 (log: ${child.logFile})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${child.name}: ${url} did not answer 200 within ${timeoutMs} ms (log: ${child.logFile})`);
}
