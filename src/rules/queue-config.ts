import { checkInt, type IntRule } from './input-rules.js';

/** Places admitted per second: a fixed rate, or 'auto' (what the sale can sell and has left, lua/queue-tick-6.lua). */
export const ADMIT_PER_SECOND: IntRule = { what: 'admitPerSecond', min: 1, max: 100_000 };
/** How long an admitted buyer's purchase pass lasts. */
export const PASS_SECONDS: IntRule = { what: 'passSeconds', min: 10, max: 300 };
export const DEFAULT_PASS_SECONDS = 120;

/**
 * A sale's waiting room. Times in ms since the epoch. Joins before `opensAt` (from `preQueueFrom`, or any time when
 * it is null) are the pre-queue, shuffled at `opensAt`; later joins line up behind in arrival order.
 */
export interface QueueConfig {
  /** Admission starts; the pre-queue's order is fixed at this instant. */
  opensAt: number;
  /** Joins are accepted from here; null: from the sale's creation. */
  preQueueFrom: number | null;
  admitPerSecond: number | 'auto';
  passSeconds: number;
  /** An operator's switch: off, the sale takes purchases without a pass (lua/queue-set-1.lua). */
  on: boolean;
}

export type QueueCheck = { ok: true; value: QueueConfig } | { ok: false; problem: string };

/** The operator's form (admin JSON, the CLI): times as ISO 8601 text; `opensAt` defaults to the sale's. */
export function checkQueueInput(raw: unknown, saleOpensAt: number | undefined, now: number): QueueCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problem: 'send an object {"opensAt": ISO, "preQueueFrom": ISO, "admitPerSecond": N | "auto", "passSeconds": N}' };
  }
  const fields = raw as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !['opensAt', 'preQueueFrom', 'admitPerSecond', 'passSeconds', 'on'].includes(k));
  if (unknown.length > 0) return { ok: false, problem: `unknown field ${JSON.stringify(unknown[0])}: send opensAt, preQueueFrom, admitPerSecond, passSeconds` };
  const times: Record<'opensAt' | 'preQueueFrom', number | undefined> = { opensAt: undefined, preQueueFrom: undefined };
  for (const field of ['opensAt', 'preQueueFrom'] as const) {
    const text = fields[field];
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(Date.parse(text))) {
      return { ok: false, problem: `${field}: send an ISO 8601 time like 2030-01-01T10:00:00Z` };
    }
    times[field] = Date.parse(text);
  }
  return checkQueueConfig({
    opensAt: times.opensAt ?? saleOpensAt ?? now,
    preQueueFrom: times.preQueueFrom ?? null,
    admitPerSecond: fields['admitPerSecond'] ?? 'auto',
    passSeconds: fields['passSeconds'] ?? DEFAULT_PASS_SECONDS,
    on: fields['on'] ?? true,
  });
}

/** A complete queue config (as stored in the sale's meta, lua/create-sale-1.lua) by the rules above. */
export function checkQueueConfig(q: Partial<Record<keyof QueueConfig, unknown>>): QueueCheck {
  if (typeof q.opensAt !== 'number' || !Number.isInteger(q.opensAt) || q.opensAt < 0) return { ok: false, problem: 'opensAt: a time in ms since the epoch' };
  if (q.preQueueFrom !== null && (typeof q.preQueueFrom !== 'number' || !Number.isInteger(q.preQueueFrom) || q.preQueueFrom >= q.opensAt)) {
    return { ok: false, problem: 'preQueueFrom: a time before opensAt, or leave it out (joins from now on)' };
  }
  const rate = q.admitPerSecond;
  if (rate !== 'auto') {
    const checked = checkInt(ADMIT_PER_SECOND, rate);
    if (!checked.ok) return { ok: false, problem: `admitPerSecond: ${checked.problem}, or "auto"` };
  }
  const pass = checkInt(PASS_SECONDS, q.passSeconds);
  if (!pass.ok) return { ok: false, problem: `passSeconds: ${pass.problem}` };
  if (typeof q.on !== 'boolean') return { ok: false, problem: 'on: true or false' };
  return { ok: true, value: { opensAt: q.opensAt, preQueueFrom: q.preQueueFrom ?? null, admitPerSecond: rate as number | 'auto', passSeconds: q.passSeconds as number, on: q.on } };
}

/** How the sale's meta keeps it (field `queue`): compact JSON, rate 0 = auto. Read back by queueFromStored. */
export function storedQueue(q: QueueConfig): string {
  return JSON.stringify({ o: q.opensAt, f: q.preQueueFrom ?? 0, r: q.admitPerSecond === 'auto' ? 0 : q.admitPerSecond, p: q.passSeconds, on: q.on ? 1 : 0 });
}

export function queueFromStored(text: string): QueueConfig | null {
  if (text === '') return null;
  let raw: { o?: unknown; f?: unknown; r?: unknown; p?: unknown; on?: unknown };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch {
    return null;
  }
  const checked = checkQueueConfig({ opensAt: raw.o, preQueueFrom: raw.f === 0 ? null : raw.f, admitPerSecond: raw.r === 0 ? 'auto' : raw.r, passSeconds: raw.p, on: raw.on === 1 });
  return checked.ok ? checked.value : null;
}
