import type { AuditReport } from '../../src/sale/types.js';
import { MASTER_CHANGES, type FaultEvent } from './faults.js';
import type { Attempt, Sample } from './journal.js';

/** What Redis holds for the sale once the run has settled. */
export interface FinalState {
  total: number;
  held: number;
  paid: number;
  /** orderId -> buyer */
  orders: Map<string, { user: string; status: string }>;
  /** "<user> <key>" -> orderId */
  idem: Map<string, string>;
  audit: AuditReport;
}

export interface Verdict {
  violations: string[];
  counts: Record<string, number>;
}

const MAX_LISTED = 20;

/**
 * Checks a run's invariants from what the clients saw (attempts), what was read along the way (samples)
 * and what Redis holds at the end. Holds never expire and nobody cancels during a run, so the sale's
 * held + paid only ever grows: any "sold out" followed by a read showing stock left was a wrong answer.
 */
export interface Payments {
  /** Orders the pay call answered "paid". */
  paid: Set<string>;
  /** Pay calls refused with a 4xx (each a violation: buyers only pay their own held orders). */
  refusals: string[];
}

export function judge(
  attempts: Attempt[],
  samples: Sample[],
  faults: FaultEvent[],
  end: FinalState,
  perUserLimit: number,
  demandExceeded: boolean,
  payments: Payments,
): Verdict {
  const violations: string[] = [];
  const add = (v: string) => violations.push(v);
  const counts: Record<string, number> = {};
  for (const a of attempts) counts[a.seen] = (counts[a.seen] ?? 0) + 1;

  // held + paid <= total at all times.
  const over = samples.filter((s) => s.held + s.paid > s.total || s.held < 0 || s.paid < 0);
  if (over.length > 0) {
    const s = over[0];
    add(`from ${ms(s.at)} held ${s.held} + paid ${s.paid} exceeded total ${s.total} (${over.length} of ${samples.length} reads)`);
  }
  if (end.held + end.paid > end.total) add(`at the end held ${end.held} + paid ${end.paid} exceeds total ${end.total}`);

  // No "sold out" while the authority still had stock (held + paid never falls, so a later read counts) — except
  // across a change of master: the new one may lack holds nobody was confirmed (answered 503), so stock can come
  // back; an answer given before the nodes re-read the new master (within a few seconds of the switch) is judged
  // by the old one, which had none left. The end of the run still proves nothing stayed unsold.
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const switches = faults.filter((f) => MASTER_CHANGES.has(f.fault));
  for (const a of attempts) {
    if (a.seen !== 'soldout') continue;
    const after = sorted.find((s) => s.at > a.doneAt);
    if (switches.some((f) => f.from <= (after?.at ?? Infinity) && f.to + 3000 >= a.doneAt)) continue;
    const left = after !== undefined ? after.total - after.held - after.paid : end.total - end.held - end.paid;
    if (left > 0) add(`${a.user} (${a.key}) was told "sold out" at ${ms(a.doneAt)} while Redis had ${left} left ${after ? `at ${ms(after.at)}` : 'at the end'}`);
  }

  // Every confirmed order is recorded, for its buyer.
  const confirmed = new Map<string, string>();
  for (const a of attempts) if (a.seen === 'ok' && a.orderId !== undefined) confirmed.set(a.orderId, a.user);
  for (const [orderId, user] of confirmed) {
    const order = end.orders.get(orderId);
    if (order === undefined) add(`order ${orderId} was confirmed to ${user} but Redis has no such order`);
    else if (order.user !== user) add(`order ${orderId} was confirmed to ${user} but Redis records it for ${order.user}`);
  }

  // recorded <= successes + unknown outcomes.
  const byKey = new Map<string, Attempt[]>();
  for (const a of attempts) {
    const id = `${a.user} ${a.key}`;
    const list = byKey.get(id);
    if (list === undefined) byKey.set(id, [a]);
    else list.push(a);
  }
  let unknownKeys = 0;
  for (const list of byKey.values()) if (list.some((a) => a.seen === 'unknown') && !list.some((a) => a.seen === 'ok')) unknownKeys++;
  const recorded = end.orders.size;
  if (recorded > confirmed.size + unknownKeys) {
    add(`Redis records ${recorded} orders but buyers were confirmed ${confirmed.size} and only ${unknownKeys} purchases had an unknown outcome`);
  }

  // A payment confirmed is a paid order; a buyer paying their own hold is never refused.
  for (const orderId of payments.paid) {
    const status = end.orders.get(orderId)?.status;
    if (status !== 'paid') add(`order ${orderId} was confirmed paid but Redis has it ${status ?? 'missing'}`);
  }
  for (const refusal of payments.refusals) add(refusal);
  counts['paid'] = payments.paid.size;

  // Nobody above the limit.
  const perUser = new Map<string, number>();
  for (const o of end.orders.values()) if (o.status === 'held' || o.status === 'paid') perUser.set(o.user, (perUser.get(o.user) ?? 0) + 1);
  for (const [user, n] of perUser) if (n > perUserLimit) add(`${user} holds ${n} orders, above the limit of ${perUserLimit}`);

  // Every retry of a key got the same order; a key with an order never hears "sold out" or "limit".
  for (const [id, list] of byKey) {
    const recordedOrder = end.idem.get(id);
    const seenOrders = new Set(list.filter((a) => a.seen === 'ok').map((a) => a.orderId));
    if (seenOrders.size > 1) add(`${id} was confirmed ${seenOrders.size} different orders: ${[...seenOrders].join(', ')}`);
    if (recordedOrder !== undefined && seenOrders.size === 1 && !seenOrders.has(recordedOrder)) {
      add(`${id} was confirmed ${[...seenOrders][0]} but its idempotency record names ${recordedOrder}`);
    }
    if (recordedOrder !== undefined) {
      for (const a of list) {
        if (a.seen === 'soldout' || a.seen === 'limit' || a.seen === 'notopen') {
          add(`${id} owns order ${recordedOrder} but a retry at ${ms(a.doneAt)} was told "${a.seen}"`);
        }
      }
    }
  }
  const keysSent = new Set(byKey.keys());
  for (const [id, orderId] of end.idem) if (!keysSent.has(id)) add(`Redis has an order ${orderId} under ${id}, a key no buyer sent`);

  // With demand above stock, everything sells once the run settles.
  if (demandExceeded && end.held + end.paid !== end.total) {
    add(`after the run settled ${end.total - end.held - end.paid} of ${end.total} tickets were left unsold although buyers kept asking`);
  }

  // Nothing a well-formed buyer sends is refused.
  for (const a of attempts) if (a.seen === 'rejected') add(`${a.user} (${a.key}) got HTTP ${a.status} at ${ms(a.doneAt)}: ${a.detail ?? ''}`);

  // A keep-alive connection idle 11-15 s still carries a purchase when no fault was going on.
  for (const a of attempts) {
    if (a.idleReuse !== true || a.seen !== 'unknown') continue;
    const during = faults.some((f) => f.fault !== 'idle-reuse' && f.from <= a.doneAt + 2000 && f.to >= a.sentAt - 2000);
    if (!during) add(`a purchase on a keep-alive connection idle 11-15 s failed at ${ms(a.doneAt)} with no fault going on: HTTP ${a.status} ${a.detail ?? ''}`);
  }

  // `ticket-spike audit` closes.
  if (!end.audit.ok) add(`audit does not close: ${JSON.stringify({ remaining: end.audit.remaining, countedHeld: end.audit.countedHeld, countedPaid: end.audit.countedPaid, total: end.audit.total, problems: end.audit.problems.slice(0, 5) })}`);

  if (violations.length > MAX_LISTED) {
    const more = violations.length - MAX_LISTED;
    violations.splice(MAX_LISTED, violations.length, `... and ${more} more`);
  }
  return { violations, counts };
}

function ms(t: number): string {
  return `${(t / 1000).toFixed(3)} s`;
}
