/**
 * Where nginx reaches a node: `host:port` (a name, an IPv4 address or a bracketed IPv6 address). The rule behind
 * `node --advertise`, `nginx-conf --upstreams` and what `nginx-conf --from-roster` reads back from Redis: these
 * are written verbatim into nginx's `server` lines, so nothing but an address and a port gets through.
 */
import type { Checked } from './input-rules.js';

export interface NodeAddress {
  host: string;
  port: number;
}

/** A node in nginx's upstream list. */
export interface WeightedNode extends NodeAddress {
  weight: number;
}

const ADDRESS = /^(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,189}))(?::(\d{1,5}))$/;
const SHAPE = 'host:port, e.g. 10.0.0.12:3001, app1.internal:3001 or [fd00::12]:3001';
export const WEIGHT_MAX = 1_000_000;
/** One line of nginx config each. */
export const MAX_UPSTREAMS = 1024;

export function checkNodeAddress(raw: string): Checked<NodeAddress> {
  const m = ADDRESS.exec(raw);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !(port >= 1 && port <= 65535)) return { ok: false, problem: `expected ${SHAPE}, got ${JSON.stringify(raw)}` };
  return { ok: true, value: { host: m[1], port } };
}

/** `host:port=weight,...` (weight 1 when left out). */
export function checkUpstreams(text: string): Checked<WeightedNode[]> {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) return { ok: false, problem: `expected at least one ${SHAPE} (=weight optional), comma separated` };
  if (items.length > MAX_UPSTREAMS) return { ok: false, problem: `at most ${MAX_UPSTREAMS} nodes, got ${items.length}` };
  const out: WeightedNode[] = [];
  for (const [i, item] of items.entries()) {
    const [address, weightText, extra] = item.split('=');
    const checked = checkNodeAddress(address);
    if (!checked.ok) return { ok: false, problem: `item ${i + 1}: ${checked.problem}` };
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (extra !== undefined || !Number.isInteger(weight) || weight < 1 || weight > WEIGHT_MAX || !/^\d+$/.test(weightText ?? '1')) {
      return { ok: false, problem: `item ${i + 1}: the weight after = must be a whole number 1..${WEIGHT_MAX}, got ${JSON.stringify(item)}` };
    }
    if (out.some((u) => u.host === checked.value.host && u.port === checked.value.port)) return { ok: false, problem: `item ${i + 1}: ${address} is listed twice` };
    out.push({ ...checked.value, weight });
  }
  return { ok: true, value: out };
}
