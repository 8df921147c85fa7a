import type { Cluster, Redis } from 'ioredis';
import { EngineError } from './codes.js';
import { NODE_ROSTER } from './keys.js';

/**
 * The node roster: which nodes are alive, where nginx reaches each and what each weighs. Every node beats into
 * it and reads the whole roster back, so nodes joining or leaving during a sale change every node's weighted share
 * of the stock within one beat, without a restart; an operator's weight (`ticket-spike nodes weight`) takes effect
 * at the node's next beat.
 *
 * Plain commands, not a script: a beat must not look like sale work to anything that counts script calls (a
 * sold-out answer costs none, and tests prove it that way), and it needs no atomicity — it is soft state whose
 * staleness costs extra Redis calls, never a wrong sale (src/node/main/weight-split.ts). Two round trips: Redis's
 * TIME, the operator's weight and the roster first, then the node's own entry. Expiry is judged by Redis's clock,
 * so hosts whose clocks disagree still agree on who is alive; an entry expired for a minute is removed (never one
 * just expired: its node may be writing it again this moment).
 */

export interface RosterMember {
  id: string;
  weight: number;
  /** host:port nginx reaches the node at (its --advertise). */
  address: string;
  /** Until when the entry counts without another beat, by Redis's clock (ms). */
  expiresAt: number;
}

export interface Roster {
  /** The beating node's weight in effect: the operator's, else its own --weight. */
  weight: number;
  /** Sum of the live members' weights. */
  totalWeight: number;
  /** Redis TIME, ms. */
  nowMs: number;
  members: RosterMember[];
}

export interface Beat {
  id: string;
  weight: number;
  /** How long the entry counts without another beat; 0 = the node leaves now. */
  ttlMs: number;
  address: string;
}

/** An entry expired this long ago is gone for good: removed by the next beat of any node. */
const FORGET_AFTER_MS = 60_000;
const WEIGHT_MAX = 1_000_000;

function parseEntry(id: string, value: string): RosterMember | null {
  const m = /^(\d+) (\d+) (\S+)$/.exec(value);
  return m === null ? null : { id, weight: Number(m[1]), expiresAt: Number(m[2]), address: m[3] };
}

function byId(a: RosterMember, b: RosterMember): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

async function exec(pipeline: ReturnType<Redis['pipeline']>, what: string): Promise<unknown[]> {
  const results = await pipeline.exec();
  if (results === null) throw new EngineError('ERR_UNEXPECTED_REPLY', `${what}: the pipeline was discarded`);
  const failed = results.find(([err]) => err !== null);
  if (failed?.[0]) throw failed[0];
  return results.map(([, value]) => value);
}

/** One beat: writes the node's entry (or removes it, ttlMs 0) and returns the roster with it. */
export async function beat(redis: Redis | Cluster, b: Beat): Promise<Roster> {
  const [time, set, raw] = await exec(redis.pipeline().time().hget(NODE_ROSTER.weights, b.id).hgetall(NODE_ROSTER.members), `node ${b.id}: roster`);
  const [seconds, micros] = time as [string, string];
  const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const operator = Number(set);
  const weight = Number.isInteger(operator) && operator >= 1 && operator <= WEIGHT_MAX ? operator : b.weight;
  const members: RosterMember[] = [];
  const forgotten: string[] = [];
  for (const [id, value] of Object.entries(raw as Record<string, string>)) {
    if (id === b.id) continue;
    const entry = parseEntry(id, value);
    if (entry === null || entry.expiresAt + FORGET_AFTER_MS < nowMs) forgotten.push(id);
    else if (entry.expiresAt > nowMs) members.push(entry);
  }
  const write = redis.pipeline();
  if (b.ttlMs > 0) {
    const own = { id: b.id, weight, expiresAt: nowMs + b.ttlMs, address: b.address };
    write.hset(NODE_ROSTER.members, b.id, `${own.weight} ${own.expiresAt} ${own.address}`);
    members.push(own);
  } else {
    write.hdel(NODE_ROSTER.members, b.id);
  }
  if (forgotten.length > 0) write.hdel(NODE_ROSTER.members, ...forgotten);
  await exec(write, `node ${b.id}: roster beat`);
  members.sort(byId);
  return { weight, totalWeight: members.reduce((sum, m) => sum + m.weight, 0), nowMs, members };
}

/** The live members without beating (operators, `nginx-conf --from-roster`), and the operator's weights. */
export async function readRoster(redis: Redis | Cluster): Promise<{ members: RosterMember[]; weights: Map<string, number> }> {
  const [raw, set, time] = await Promise.all([redis.hgetall(NODE_ROSTER.members), redis.hgetall(NODE_ROSTER.weights), redis.time()]);
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  const members: RosterMember[] = [];
  for (const [id, value] of Object.entries(raw)) {
    const entry = parseEntry(id, value);
    if (entry !== null && entry.expiresAt > now) members.push(entry);
  }
  members.sort(byId);
  return { members, weights: new Map(Object.entries(set).map(([id, w]) => [id, Number(w)])) };
}

/** The operator's weight for a node (null: back to its own --weight), in effect at its next beat. */
export async function setNodeWeight(redis: Redis | Cluster, id: string, weight: number | null): Promise<void> {
  if (weight === null) await redis.hdel(NODE_ROSTER.weights, id);
  else await redis.hset(NODE_ROSTER.weights, id, String(weight));
}
