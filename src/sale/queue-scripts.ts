import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { EngineError, ScriptCode, errorFromCode } from '../redis/codes.js';
import { saleKeys } from '../redis/keys.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { USER, checkInt, matches } from '../rules/input-rules.js';
import { ADMIT_PER_SECOND, queueFromStored, type QueueConfig } from '../rules/queue-config.js';

/** lua/queue-join-4.lua's answer: the buyer's arrival (kind 'p': the pre-queue, shuffled at opensAt) or why not. */
export type QueueJoin =
  /** `fresh`: this join made the record (a first join, or a line-up again after a skipped place). */
  | { kind: 'joined'; preQueue: boolean; arrival: number; joinedAt: number; pre: number; opensAt: number; fresh: boolean }
  | { kind: 'unknown' | 'none' | 'off' | 'closed' }
  | { kind: 'early'; preQueueFrom: number }
  /** The line holds `max` places: no new buyer. */
  | { kind: 'full'; max: number };

/** One join as lua/queue-join-4.lua takes it: the buyer, and for a line-up again the skipped place they had. */
export interface JoinAsk {
  user: string;
  again?: number;
}

/** lua/queue-tick-6.lua's answer: the line as Redis keeps it, after this node's tick. */
export interface QueueTick {
  served: number;
  admitted: number;
  skipped: number;
  pre: number;
  late: number;
  /** The pre-queue's permutation key (32 hex), '' before opensAt. */
  key: string;
  on: boolean;
  /** Places per second admission goes at now (the fixed rate, or 'auto's bound). */
  rate: number;
  passSeconds: number;
  opensAt: number;
  now: number;
  remaining: number;
  /** Places from `served` on the nodes report polls for. */
  window: number;
  /** Which places from `admittedFrom` (a multiple of 8) up to `served` were admitted: bit j (MSB first) = place admittedFrom + j. */
  admittedFrom: number;
  admittedBits: Buffer;
}

const unexpected = (subject: string, reply: unknown) => new EngineError('ERR_UNEXPECTED_REPLY', `${subject}: unexpected reply ${JSON.stringify(reply)}`);

/** lua/queue-join-4.lua for up to 512 joins of one sale: one answer per join, in order. */
export async function joinQueue(scripts: ScriptCommands, saleId: string, joins: readonly JoinAsk[]): Promise<QueueJoin[]> {
  for (const j of joins) {
    if (!matches(USER, j.user)) throw new EngineError('ERR_INVALID_ARGUMENT', `user must be ${USER.shape}`, 'user');
    if (j.again !== undefined && (!Number.isSafeInteger(j.again) || j.again < 0)) throw new EngineError('ERR_INVALID_ARGUMENT', 'a place is a whole number from 0', 'again');
  }
  const k = saleKeys(saleId);
  const subject = `join the queue of ${saleId}`;
  const users = joins.map((j) => (j.again === undefined ? j.user : `${j.user} ${j.again}`));
  const reply = await scripts.queueJoin(k.meta, k.queue, k.queueJoins, k.queueAdmitted, ...users);
  if (Array.isArray(reply) && typeof reply[0] === 'number') throw errorFromCode(reply[0], typeof reply[1] === 'string' ? reply[1] : '', subject);
  if (!Array.isArray(reply) || reply.length !== users.length) throw unexpected(subject, reply);
  return (reply as unknown[]).map((one) => readJoin(subject, one));
}

function readJoin(subject: string, one: unknown): QueueJoin {
  if (!Array.isArray(one)) throw unexpected(subject, one);
  const [what, ...rest] = one as unknown[];
  if (what === 'ok' && rest.length === 6) {
    const [kind, arrival, joinedAt, pre, opensAt, fresh] = rest as string[];
    return { kind: 'joined', preQueue: kind === 'p', arrival: Number(arrival), joinedAt: Number(joinedAt), pre: Number(pre), opensAt: Number(opensAt), fresh: fresh === '1' };
  }
  if (what === 'full') return { kind: 'full', max: Number(rest[0]) };
  if (what === 'early') return { kind: 'early', preQueueFrom: Number(rest[0]) };
  if (what === 'unknown' || what === 'none' || what === 'off' || what === 'closed') return { kind: what };
  throw unexpected(subject, one);
}

/**
 * One node's tick: `bits` = its places polled lately from `base` (a multiple of 8) on; `since` = the serving position
 * it last knew (the reply says which places were admitted from there). null: no queue.
 */
export async function tickQueue(scripts: ScriptCommands, saleId: string, base: number, bits: Buffer, since: number): Promise<QueueTick | null> {
  const k = saleKeys(saleId);
  // A fresh key every tick: only the first tick from opensAt on writes one, so nobody knows it before the opening.
  const reply = await scripts.queueTick(k.meta, k.queue, k.queueLiveEven, k.queueHistory, k.queueAdmitted, k.queueLiveOdd, randomBytes(16).toString('hex'), base, bits, since);
  if (Array.isArray(reply) && reply[0] === 'none') return null;
  if (!Array.isArray(reply) || reply.length !== 15) throw unexpected(`queue tick of ${saleId}`, reply);
  const r = reply as string[];
  const n = (i: number) => Number(r[i]);
  return {
    served: n(0), admitted: n(1), skipped: n(2), pre: n(3), late: n(4), key: r[5], on: r[6] === '1', rate: n(7),
    passSeconds: n(8), opensAt: n(9), now: n(10), remaining: n(11), window: n(12), admittedFrom: n(13), admittedBits: Buffer.from(r[14], 'hex'),
  };
}

/**
 * The serving position at each second of the last passSeconds + 10 s (lua/queue-tick-6.lua's history), oldest
 * first: when each recent place was admitted, for a node that starts while the line moves.
 */
export async function queueHistory(redis: Redis | Cluster, saleId: string): Promise<Array<{ at: number; served: number }>> {
  const raw = await redis.hgetall(saleKeys(saleId).queueHistory);
  const out: Array<{ at: number; served: number }> = [];
  for (const [second, value] of Object.entries(raw)) {
    const m = /^\d+\|\d+\|(\d+)$/.exec(value);
    if (m !== null && /^\d+$/.test(second)) out.push({ at: Number(second) * 1000, served: Number(m[1]) });
  }
  return out.sort((a, b) => a.at - b.at);
}

/** An operator's change (lua/queue-set-1.lua): on/off and the rate; the queue as it is after. */
export async function setQueue(scripts: ScriptCommands, saleId: string, change: { on?: boolean; admitPerSecond?: number | 'auto' }): Promise<{ changed: boolean; queue: QueueConfig }> {
  const rate = change.admitPerSecond;
  if (rate !== undefined && rate !== 'auto' && !checkInt(ADMIT_PER_SECOND, rate).ok) {
    throw new EngineError('ERR_INVALID_ARGUMENT', `admitPerSecond must be ${ADMIT_PER_SECOND.min}..${ADMIT_PER_SECOND.max} or "auto"`, 'admitPerSecond');
  }
  const subject = `queue of sale ${saleId}`;
  const reply = await scripts.queueSet(saleKeys(saleId).meta, change.on === undefined ? '' : change.on ? '1' : '0', rate === undefined ? '' : String(rate));
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') throw unexpected(subject, reply);
  const [code, detail] = reply as [ScriptCode, string];
  if (code === ScriptCode.AnonymousNotAllowed) {
    throw new EngineError('ERR_INVALID_SALE', `sale ${saleId} is anonymous: a waiting room needs named buyers (a pass is bound to its buyer)`, 'anonymous');
  }
  if (code !== ScriptCode.Ok && code !== ScriptCode.Exists) throw errorFromCode(code, String(detail), subject);
  const queue = queueFromStored(String(detail));
  if (queue === null) throw unexpected(subject, reply);
  return { changed: code === ScriptCode.Ok, queue };
}
