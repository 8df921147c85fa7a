import type { Cluster, Redis } from 'ioredis';
import { EngineError, ScriptCode, errorFromCode } from './codes.js';
import { NODE_ROSTER } from './keys.js';
import type { ScriptCommands } from './scripts.js';

/**
 * The node roster: which nodes are alive, where nginx reaches each and what each weighs. Every node beats into
 * it (lua/node-roster-2.lua) and reads the whole roster back in the same call, so nodes joining or leaving
 * during a sale change every node's weighted share of the stock within one beat, without a restart; an
 * operator's weight (`ticket-spike nodes weight`) takes effect at the node's next beat.
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

/** One beat: writes the node's entry (or removes it, ttlMs 0) and returns the roster. */
export async function beat(scripts: ScriptCommands, b: Beat): Promise<Roster> {
  const reply = await scripts.nodeRoster(NODE_ROSTER.members, NODE_ROSTER.weights, b.id, b.weight, b.ttlMs, b.address);
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') {
    throw new EngineError('ERR_UNEXPECTED_REPLY', `node ${b.id}: unexpected roster reply ${JSON.stringify(reply)}`);
  }
  const code = reply[0] as ScriptCode;
  if (code !== ScriptCode.Ok) throw errorFromCode(code, String(reply[1]), `node ${b.id}`);
  const [, weight, totalWeight, nowMs, ...flat] = reply as [number, number, number, number, ...(string | number)[]];
  const members: RosterMember[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    members.push({ id: String(flat[i]), weight: Number(flat[i + 1]), expiresAt: Number(flat[i + 2]), address: String(flat[i + 3]) });
  }
  members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { weight, totalWeight, nowMs, members };
}

/** The live members without beating (operators, `nginx-conf --from-roster`): expired entries left out. */
export async function readRoster(redis: Redis | Cluster): Promise<{ members: RosterMember[]; weights: Map<string, number> }> {
  const [raw, set, time] = await Promise.all([redis.hgetall(NODE_ROSTER.members), redis.hgetall(NODE_ROSTER.weights), redis.time()]);
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  const members: RosterMember[] = [];
  for (const [id, value] of Object.entries(raw)) {
    const m = /^(\d+) (\d+) (\S+)$/.exec(value);
    if (m === null || Number(m[2]) <= now) continue;
    members.push({ id, weight: Number(m[1]), expiresAt: Number(m[2]), address: m[3] });
  }
  members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { members, weights: new Map(Object.entries(set).map(([id, w]) => [id, Number(w)])) };
}

/** The operator's weight for a node (null: back to its own --weight), in effect at its next beat. */
export async function setNodeWeight(redis: Redis | Cluster, id: string, weight: number | null): Promise<void> {
  if (weight === null) await redis.hdel(NODE_ROSTER.weights, id);
  else await redis.hset(NODE_ROSTER.weights, id, String(weight));
}
