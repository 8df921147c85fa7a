import type { Cluster, Redis } from 'ioredis';
import { seatPass } from './seat-audit.js';
import { EngineError, errorFromCode } from '../redis/codes.js';
import { saleKeys, type SaleKeys } from '../redis/keys.js';
import type { ScriptCall, ScriptCommands } from '../redis/scripts.js';
import { auditReport, checkRange, list, type Page } from './audit-report.js';
import type { AuditOptions, AuditProgress, AuditReport, SaleStatus } from './types.js';

/**
 * The chunked audit of one sale (`SaleEngine.audit`): many short read-only page scripts (lua/audit-*.lua, each
 * ~`pageSize` orders, a few ms) instead of one script over everything, so a live sale goes on while it is audited.
 * Why it stays exact and free of false problems (docs/architecture.md, "The audit", has the long form):
 * - Per-order checks are local: a page reads an order with the keys it must agree with in ONE atomic call.
 * - Exactly once: the stream pass drives the count. Each order is named by one reserve entry (b <batchId> ...),
 *   counted there; event entries (ev paid|cancelled|expired ...) are checked, not counted. XRANGE from an
 *   exclusive cursor visits each entry once. The orders hash is scanned (HSCAN, used as a set) for orders no
 *   reserve entry names: after trimming, a final order named only by its event is counted there by its status.
 * - Retention: an order retired from Redis is counted by the sale's retired counters (read before the passes).
 * - Holders: a holder's `latest` among the user's orders seen means all are known (lua/audit-users-3.lua); else
 *   read the stream on and ask again (a few rounds, then a note).
 * - Totals: counters read before and after; unchanged held, paid, ordersMade and retired counters mean nothing
 *   changed and counted == counters exactly; else (`moving`) within the bounds the changes allow.
 */

const MAX_USER_ROUNDS = 5;
const MAX_ORDERS_PER_USER = 100_000;
const IN_STREAM = 1;
const IN_HASH = 2;
/** Named by an event entry (ev paid|cancelled|expired): counted from the orders pass when no reserve entry names it. */
const IN_EVENT = 4;


export class SaleAudit {
  private readonly k: SaleKeys;
  private readonly pageSize: number;
  private readonly maxProblems: number;
  private readonly problems = new Set<string>();
  private readonly notes: string[] = [];
  private unlisted = 0;
  private calls = 0;
  private cursor = '-';
  /** order id -> IN_STREAM | IN_HASH */
  private readonly seen = new Map<string, number>();
  private readonly dupes = new Map<string, number>();
  private readonly ordersOf = new Map<string, string[]>();
  private readonly counts = { held: 0, paid: 0, cancelled: 0, expired: 0 };
  /** Orders of reserve entries with no record (retired, or lost: judged against the retired counters). */
  private missing = 0;
  private entries = 0;
  private streamOrders = 0;
  private orders = 0;
  private expected = 0;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly scripts: ScriptCommands,
    private readonly sale: string,
    private readonly status: () => Promise<SaleStatus | null>,
    private readonly options: AuditOptions = {},
  ) {
    this.k = saleKeys(sale);
    this.pageSize = checkRange('pageSize', options.pageSize ?? 500, 1, 10_000);
    this.maxProblems = checkRange('maxProblems', options.maxProblems ?? 100, 1, 1000);
  }

  async run(): Promise<AuditReport> {
    const before = await this.counters();
    this.expected = before.ordersMade;
    await this.streamToEnd();
    await this.ordersPass();
    // A train's holder counts passengers, not orders: its seats are recounted instead (src/sale/seat-audit.ts).
    const holders = before.train === undefined ? await this.holdersPass() : 0;
    const units = before.train === undefined ? undefined : await seatPass(this.redis, this.sale, before.train, (p) => this.problem(p), this.notes);
    await this.scanPass('idempotency', this.scripts.auditIdem, [this.k.idem, this.k.orders, this.k.meta], await this.redis.hlen(this.k.idem));
    await this.scanPass('deadlines', this.scripts.auditDeadlines, [this.k.deadlines, this.k.stream], await this.redis.zcard(this.k.deadlines));
    const after = await this.counters();
    for (const [id, n] of this.dupes) this.problem(`order ${id} appears ${n} times in the stream`);
    return auditReport({
      sale: this.sale,
      before,
      after,
      counts: this.counts,
      missing: this.missing,
      orders: this.orders,
      streamEntries: this.entries,
      streamOrders: this.streamOrders,
      holders,
      ...(units === undefined ? {} : { units }),
      problems: this.problems,
      unlisted: this.unlisted,
      notes: this.notes,
      calls: this.calls,
      maxProblems: this.maxProblems,
    });
  }

  private async counters(): Promise<SaleStatus> {
    this.calls++;
    const s = await this.status();
    if (s === null) throw errorFromCode(-5, this.sale, `sale ${this.sale}`);
    return s;
  }

  private problem(msg: string): void {
    this.problems.add(msg);
  }

  private progress(pass: AuditProgress['pass'], done: number, of: number): void {
    this.options.onProgress?.({ pass, done, of: Math.max(done, of) });
  }

  /** One page script call: its problems collected, its reply parsed. */
  private async page(call: ScriptCall, args: (string | number)[]): Promise<Page> {
    this.calls++;
    const reply = await call.apply(this.scripts, args);
    if (Array.isArray(reply) && typeof reply[0] === 'number') throw errorFromCode(reply[0], String(reply[1]), `audit of sale ${this.sale}`);
    if (typeof reply !== 'string') throw new EngineError('ERR_UNEXPECTED_REPLY', `audit of sale ${this.sale}: unexpected reply ${JSON.stringify(reply)}`);
    const page = JSON.parse(reply) as Page;
    const listed = list<string>(page.problems);
    for (const p of listed) this.problem(p);
    this.unlisted += page.problemCount - listed.length;
    return page;
  }

  /** Stream pass: from the cursor to the stream's end now; every order counted once, by status. */
  private async streamToEnd(): Promise<void> {
    for (;;) {
      const p = await this.page(this.scripts.auditStream, [this.k.orders, this.k.deadlines, this.k.stream, this.cursor, this.pageSize, this.maxProblems]);
      this.cursor = p.cursor;
      this.entries += p.entries as number;
      for (const s of ['held', 'paid', 'cancelled', 'expired'] as const) this.counts[s] += p[s] as number;
      this.missing += (p.missing as number | undefined) ?? 0;
      const ev = list<string>(p.events);
      for (let i = 0; i < ev.length; i += 2) {
        const id = ev[i];
        const f = this.seen.get(id) ?? 0;
        if (f & (IN_STREAM | IN_EVENT)) continue;
        this.seen.set(id, f | IN_EVENT);
        this.addOrderOf(ev[i + 1], id);
      }
      const flat = list<string>(p.orders);
      for (let i = 0; i < flat.length; i += 2) {
        const id = flat[i];
        const user = flat[i + 1];
        this.streamOrders++;
        const f = this.seen.get(id) ?? 0;
        if (f & IN_STREAM) this.dupes.set(id, (this.dupes.get(id) ?? 1) + 1);
        this.seen.set(id, f | IN_STREAM);
        if (!(f & IN_EVENT)) this.addOrderOf(user, id);
      }
      this.progress('stream', this.streamOrders, this.expected);
      if (p.done) return;
    }
  }

  private addOrderOf(user: string, id: string): void {
    if (user === '') return;
    const mine = this.ordersOf.get(user);
    if (mine === undefined) this.ordersOf.set(user, [id]);
    else mine.push(id);
  }

  /**
   * An order named only by event entries (its reserve entry trimmed: the order is final, and a final status never
   * changes) is counted here, by the status the orders pass read.
   */
  private countEventOnly(id: string, status: string): void {
    if (status === 'paid' || status === 'cancelled' || status === 'expired') this.counts[status]++;
    else this.problem(`order ${id} is ${status || 'unreadable'} but only event entries name it`);
  }

  /** Orders pass: every order in the hash must be named by the stream (a reserve entry, or after trimming an event). */
  private async ordersPass(): Promise<void> {
    const of = await this.redis.hlen(this.k.orders);
    const pending: [string, string][] = [];
    let cursor = '0';
    let done = 0;
    for (;;) {
      const p = await this.page(this.scripts.auditOrders, [this.k.orders, cursor, this.pageSize, this.maxProblems]);
      const statuses = list<string>(p.statuses);
      list<string>(p.ids).forEach((id, i) => {
        done++;
        const f = this.seen.get(id) ?? 0;
        if (f & IN_HASH) return;
        if (f & IN_STREAM) this.markInHash(id, f);
        else pending.push([id, statuses[i] ?? '']);
      });
      this.progress('orders', done, of);
      cursor = p.cursor;
      if (p.done) break;
    }
    if (pending.length === 0) return;
    // Made after the stream pass? Then its entry is on the stream now (written with the order).
    await this.streamToEnd();
    for (const [id, status] of pending) {
      const f = this.seen.get(id) ?? 0;
      if (f & IN_HASH) continue;
      this.markInHash(id, f);
      if (f & IN_STREAM) continue;
      if (f & IN_EVENT) this.countEventOnly(id, status);
      else this.problem(`order ${id} appears 0 times in the stream`);
    }
  }

  private markInHash(id: string, f: number): void {
    this.seen.set(id, f | IN_HASH);
    this.orders++;
  }

  /** Holders pass: every user with orders or a holder entry, compared in groups of about pageSize orders. */
  private async holdersPass(): Promise<number> {
    const holderUsers = new Set<string>();
    let cursor = '0';
    do {
      this.calls++;
      const [next, flat] = await this.redis.hscan(this.k.holders, cursor, 'COUNT', Math.min(this.pageSize, 1000));
      for (let i = 0; i < flat.length; i += 2) holderUsers.add(flat[i]);
      cursor = next;
    } while (cursor !== '0');
    let todo: string[] = [...new Set([...this.ordersOf.keys(), ...holderUsers])].filter((user) => {
      if (user.length >= 1 && user.length <= 64) return true;
      this.problem(`holder entry ${JSON.stringify(user)} is not a user`);
      return false;
    });
    const of = todo.length;
    let done = 0;
    for (let round = 0; todo.length > 0 && round < MAX_USER_ROUNDS; round++) {
      if (round > 0) await this.streamToEnd();
      const moving: string[] = [];
      for (const group of this.userGroups(todo)) {
        const args: (string | number)[] = [this.k.meta, this.k.holders, this.k.orders, this.maxProblems, group.length];
        for (const user of group) {
          const mine = this.ordersOf.get(user) ?? [];
          args.push(user, mine.length, ...mine);
        }
        const p = await this.page(this.scripts.auditUsers, args);
        moving.push(...list<string>(p.moving));
        done += group.length - list<string>(p.moving).length;
        this.progress('holders', done, of);
      }
      todo = moving;
    }
    if (todo.length > 0) {
      this.notes.push(
        `${todo.length} users kept buying during the audit; their holder counts were not compared (e.g. ${todo.slice(0, 3).join(', ')})`,
      );
    }
    return holderUsers.size;
  }

  /** Users in groups of at most 1000 users and about pageSize orders (a user with more orders goes alone). */
  private *userGroups(users: string[]): Generator<string[]> {
    let group: string[] = [];
    let size = 0;
    for (const user of users) {
      const n = this.ordersOf.get(user)?.length ?? 0;
      if (n > MAX_ORDERS_PER_USER) {
        this.notes.push(`user ${user} has ${n} orders, more than one call compares (${MAX_ORDERS_PER_USER}): not compared`);
        continue;
      }
      if (group.length > 0 && (size + n + 1 > this.pageSize || group.length >= 1000)) {
        yield group;
        group = [];
        size = 0;
      }
      group.push(user);
      size += n + 1;
    }
    if (group.length > 0) yield group;
  }

  /** A pass over a hash or a sorted set whose items are each checked alone (idempotency records, deadlines). */
  private async scanPass(pass: AuditProgress['pass'], call: ScriptCall, keys: string[], of: number): Promise<void> {
    let cursor = '0';
    let done = 0;
    for (;;) {
      const p = await this.page(call, [...keys, cursor, this.pageSize, this.maxProblems]);
      done += ((p.records ?? p.members) as number | undefined) ?? 0;
      this.progress(pass, done, of);
      cursor = p.cursor;
      if (p.done) return;
    }
  }
}
