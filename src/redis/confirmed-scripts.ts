import type { Cluster, Redis } from 'ioredis';
import { EngineError } from './codes.js';
import { loadScripts, scriptsOf, type ScriptCall, type ScriptCommands } from './scripts.js';

/**
 * How many replicas must have a write before it is confirmed, and how long to wait for them (ms). 0 replicas: a
 * reply from the master confirms, as with one Redis (its AOF with appendfsync always is then the durability).
 */
export interface Confirmation {
  replicas: number;
  timeoutMs: number;
}

export const NO_CONFIRMATION: Confirmation = { replicas: 0, timeoutMs: 0 };

/**
 * The scripts whose reply someone is told as done: a purchase, pay, cancel, check-in, a sale's creation and the
 * operator's changes. The others either read (status, orders, holder log, audit) or only tidy up what a later
 * call would tidy again if a failover lost it (expiry, retention, trimming, releasing a claim).
 */
const CONFIRMING: ReadonlySet<string> = new Set(['reserveBatch', 'pay', 'cancel', 'checkIn', 'createSale', 'createTrain', 'reservePlace', 'pauseSale', 'closeSale', 'addStock', 'restoreSale', 'queueJoin', 'queueSet', 'queueTick']);

/**
 * The scripts, with every confirming one followed by `WAIT replicas timeoutMs` on the same connection: a reply is
 * returned only once its writes reached `replicas` replicas, so the replica Sentinel promotes has every write a
 * client was told about. Fewer within the time is ERR_NOT_REPLICATED — an unknown outcome (the write is on the
 * master and may or may not survive it), answered like a timeout: 503, resolved by the idempotent retry.
 *
 * Why the same connection, in one pipeline: WAIT waits for the replication offset the connection had after its
 * previous command. Redis 7.0 sets it after EVERY command, reads included (processCommand: c->woff =
 * server.master_repl_offset), so WAIT after a script that wrote nothing — a replay that found an order made by
 * another connection whose own WAIT failed — still waits for that order to be replicated: a replay never
 * confirms an order that a failover could lose (test/integration/confirmed-writes.test.ts proves it). On Redis
 * Cluster the pipeline goes to the node of the script's keys, so WAIT asks that shard's replicas.
 */
export function confirmedScripts(client: Redis | Cluster, confirmation: Confirmation): ScriptCommands {
  const plain = scriptsOf(client);
  if (confirmation.replicas === 0) return plain;
  const out: Record<string, ScriptCall> = {};
  for (const { name } of loadScripts()) {
    const call = (plain as unknown as Record<string, ScriptCall>)[name];
    out[name] = CONFIRMING.has(name) ? (...args) => runConfirmed(client, name, args, confirmation) : (...args) => call.apply(client, args);
  }
  return out as unknown as ScriptCommands;
}

async function runConfirmed(client: Redis | Cluster, name: string, args: (string | number | Buffer)[], c: Confirmation): Promise<unknown> {
  const pipeline = client.pipeline();
  (pipeline as unknown as Record<string, (...a: (string | number | Buffer)[]) => unknown>)[name](...args);
  pipeline.call('WAIT', c.replicas, c.timeoutMs);
  const results = await pipeline.exec();
  if (results === null || results.length !== 2) throw new EngineError('ERR_UNEXPECTED_REPLY', `${name}: the pipeline with WAIT returned ${JSON.stringify(results)}`);
  const [[scriptErr, reply], [waitErr, acked]] = results as [[Error | null, unknown], [Error | null, unknown]];
  if (scriptErr !== null) throw scriptErr;
  if (waitErr !== null) {
    throw new EngineError('ERR_NOT_REPLICATED', `${name}: WAIT failed after the script (${waitErr.message}); its outcome is unknown until a retry or a read tells`);
  }
  if (typeof acked !== 'number' || acked < c.replicas) {
    throw new EngineError(
      'ERR_NOT_REPLICATED',
      `${name}: the write reached ${String(acked)} of ${c.replicas} replicas within ${c.timeoutMs} ms; its outcome is unknown until a retry or a read tells`,
    );
  }
  return reply;
}
