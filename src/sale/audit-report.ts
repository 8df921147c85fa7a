import { EngineError } from '../redis/codes.js';
import type { AuditReport, SaleStatus } from './types.js';

/** One page script's reply (lua/audit-*.lua): where to go on, and what it found. */
export interface Page {
  cursor: string;
  done: boolean;
  problemCount: number;
  problems: unknown;
  [field: string]: unknown;
}

/** cjson encodes an empty Lua table as {}: an array, or nothing. */
export function list<T>(x: unknown): T[] {
  return Array.isArray(x) ? (x as T[]) : [];
}

/** An audit option in range, or ERR_INVALID_ARGUMENT naming it. */
export function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EngineError('ERR_INVALID_ARGUMENT', `audit ${name} ${value} is invalid: use ${min}..${max}`, name);
  }
  return value;
}

/** What the audit's passes found, before the totals are judged. */
export interface AuditFindings {
  sale: string;
  /** The counters read before the first pass and after the last. */
  before: SaleStatus;
  after: SaleStatus;
  /** Statuses counted from the orders, each order once (the stream pass). */
  counts: { held: number; paid: number; cancelled: number; expired: number };
  /** Orders named by reserve entries that have no record: must be covered by the retired counters. */
  missing: number;
  /** Orders in the orders hash (each once). */
  orders: number;
  streamEntries: number;
  streamOrders: number;
  holders: number;
  /** A train sale: the seat-segments its live orders hold and paid (retired paid ones included), recounted from their seats. */
  units?: { held: number; paid: number };
  /** Distinct problems found by the passes; `unlisted` more were counted but not listed by a page. */
  problems: Set<string>;
  unlisted: number;
  notes: string[];
  calls: number;
  maxProblems: number;
}

/**
 * Judges the totals (src/sale/audit.ts explains why this is sound while the sale moves): the counters on their
 * own, then counted == counters exactly when held, paid and ordersMade did not change during the audit, else
 * within the bounds the changes allow.
 */
export function auditReport(f: AuditFindings): AuditReport {
  const { before, after } = f;
  const { total, held, paid } = after;
  // Counted = counted in Redis + retired from it (meta paid keeps counting retired paid orders). The retired
  // counters are the ones read before the passes: an order retired meanwhile is counted at most once (in Redis
  // if the passes saw it first), and is at most missed, which the moving bounds below allow for.
  const r0 = before.retired;
  // A train counts seat-segments: its seat pass recounted them (retired paid orders' seats included).
  const countedHeld = f.units?.held ?? f.counts.held;
  const countedPaid = f.units?.paid ?? f.counts.paid + r0.paid;
  const problem = (msg: string) => f.problems.add(msg);
  const remaining = total - held - paid;
  if (held < 0 || paid < 0) problem(`negative counter: held=${held} paid=${paid}`);
  if (held + paid > total) problem(`oversold: counters held ${held} + paid ${paid} > total ${total}`);
  const made = after.ordersMade - before.ordersMade;
  const retiredNow = after.retired.paid - r0.paid;
  const retiredAll = after.retired.paid + after.retired.cancelled + after.retired.expired;
  const retiredMoved = retiredAll !== r0.paid + r0.cancelled + r0.expired;
  const moving = made !== 0 || before.held !== held || before.paid !== paid || retiredMoved;
  if (f.missing > retiredAll) problem(`${f.missing} orders named by the stream have no record, but only ${retiredAll} were retired`);
  let counted: boolean;
  if (!moving) {
    // After retention, every order made is in Redis or retired (no order record is deleted otherwise).
    if (retiredAll > 0 && f.orders + retiredAll !== after.ordersMade) problem(`ordersMade=${after.ordersMade} but ${f.orders} orders are in Redis and ${retiredAll} retired`);
    if (countedHeld !== held) problem(`meta held=${held} but ${countedHeld} orders are held`);
    if (countedPaid !== paid) problem(`meta paid=${paid} but ${countedPaid} orders are paid`);
    if (countedHeld + countedPaid > total) problem(`oversold: ${countedHeld + countedPaid} held+paid orders for total ${total}`);
    counted = remaining + countedHeld + countedPaid === total;
  } else {
    const lo = held + paid - made - retiredNow;
    const hi = before.held + before.paid + made;
    const live = countedHeld + countedPaid;
    const liveOk = live >= lo && live <= hi;
    const paidOk = countedPaid >= before.paid - retiredNow && countedPaid <= paid;
    if (!liveOk) problem(`${live} held+paid orders counted while the sale moved, outside the possible ${lo}..${hi}`);
    if (!paidOk) problem(`${countedPaid} paid orders counted while the sale moved, outside the possible ${before.paid}..${paid}`);
    counted = liveOk && paidOk;
    f.notes.push(
      `the sale changed during the audit (${made} orders made, held ${before.held} -> ${held}, paid ${before.paid} -> ${paid}):` +
        ' counted held and paid are compared within those bounds, not exactly; audit again when it is quiet for an exact count',
    );
  }
  if (before.total !== total) {
    // An operator added or removed stock during the audit (lua/add-stock-1.lua): the counted figures do not
    // depend on the total; remaining and the oversell checks use the total read last.
    f.notes.push(`the total changed during the audit (${before.total} -> ${total}): judged against ${total}`);
  }
  const closes = remaining >= 0 && counted;
  const listed = [...f.problems];
  const problemCount = listed.length + f.unlisted;
  return {
    ok: problemCount === 0 && closes,
    sale: f.sale,
    total,
    held,
    paid,
    remaining,
    countedHeld,
    countedPaid,
    cancelled: f.counts.cancelled + r0.cancelled,
    expired: f.counts.expired + r0.expired,
    retired: retiredAll,
    orders: f.orders,
    closes,
    streamEntries: f.streamEntries,
    streamOrders: f.streamOrders,
    holders: f.holders,
    problemCount,
    problems: listed.slice(0, f.maxProblems),
    moving,
    notes: f.notes,
    calls: f.calls,
  };
}
