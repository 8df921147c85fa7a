import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';

/**
 * Script loader, BullMQ style: every lua/<name>-<numKeys>.lua becomes an ioredis custom command named
 * camelCase(<name>) (reserve-batch-12.lua -> reserveBatch, 8 keys). A line `--@include "includes/x.lua"`
 * pastes that file in (paths relative to the including file, each file at most once per script).
 *
 * ioredis custom commands send EVAL the first time on each socket and EVALSHA after; a NOSCRIPT reply
 * (server restarted, SCRIPT FLUSH, failover) makes ioredis re-send the script as EVAL. NOSCRIPT means the
 * script did not run, so the re-send is safe; callers never see it (test/redis-restart.test.ts).
 */
export interface ScriptDef {
  name: string;
  file: string;
  numberOfKeys: number;
  lua: string;
}

export const SCRIPT_FILE_RE = /^([a-z][a-z0-9-]*)-(\d+)\.lua$/;
const INCLUDE_RE = /^\s*--@include\s+"([^"]+)"\s*$/gm;

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function expand(file: string, seen: Set<string>, stack: string[]): string {
  if (stack.includes(file)) throw new Error(`lua include cycle: ${[...stack, file].join(' -> ')}`);
  const text = readFileSync(file, 'utf8');
  return text.replace(INCLUDE_RE, (_, rel: string) => {
    const target = resolve(dirname(file), rel);
    if (seen.has(target)) return `-- (${rel} already included)`;
    seen.add(target);
    return `-- >>> ${rel}\n${expand(target, seen, [...stack, file])}\n-- <<< ${rel}`;
  });
}

/**
 * The package's own lua/ folder, found from this module's location — never from the working directory or
 * by searching upwards, so the scripts load the same from a checkout, from the build and from an installed
 * package. The source is src/redis/scripts.ts (two levels below the package root); the build mirrors the
 * tree one level further down, at dist/src/redis/scripts.js.
 */
export const LUA_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../lua/' : '../../../lua/', import.meta.url));

let cache: ScriptDef[] | undefined;

/** Reads every script once per process. */
export function loadScripts(dir: string = LUA_DIR): ScriptDef[] {
  if (cache !== undefined && dir === LUA_DIR) return cache;
  const defs: ScriptDef[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = SCRIPT_FILE_RE.exec(file);
    if (m === null) continue;
    const path = join(dir, file);
    defs.push({ name: camel(m[1]), file, numberOfKeys: Number(m[2]), lua: expand(path, new Set(), []) });
  }
  if (dir === LUA_DIR) cache = defs;
  return defs;
}

const DEFINED = Symbol.for('ticket-spike.scriptsDefined');

/** Registers every script on the client (idempotent per client). Works for Redis and Cluster. */
export function defineScripts(client: Redis | Cluster): void {
  const marked = client as unknown as Record<symbol, boolean>;
  if (marked[DEFINED]) return;
  for (const s of loadScripts()) client.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  marked[DEFINED] = true;
}

/** The custom commands as the engine calls them: keys first, then arguments. */
export type ScriptCall = (...keysAndArgs: (string | number | Buffer)[]) => Promise<unknown>;
export interface ScriptCommands {
  createSale: ScriptCall;
  createTrain: ScriptCall;
  reserveBatch: ScriptCall;
  pay: ScriptCall;
  cancel: ScriptCall;
  expireHolds: ScriptCall;
  getOrder: ScriptCall;
  saleStatus: ScriptCall;
  auditStream: ScriptCall;
  auditOrders: ScriptCall;
  auditIdem: ScriptCall;
  auditDeadlines: ScriptCall;
  auditUsers: ScriptCall;
  holderLog: ScriptCall;
  queueJoin: ScriptCall;
  queueTick: ScriptCall;
  queueSet: ScriptCall;
  reservePlace: ScriptCall;
  retireOrders: ScriptCall;
  trimStream: ScriptCall;
  pauseSale: ScriptCall;
  closeSale: ScriptCall;
  addStock: ScriptCall;
  checkIn: ScriptCall;
  releaseClaim: ScriptCall;
  restoreSale: ScriptCall;
}

export function scriptsOf(client: Redis | Cluster): ScriptCommands {
  defineScripts(client);
  return client as unknown as ScriptCommands;
}
