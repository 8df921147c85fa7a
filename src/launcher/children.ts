/**
 * The kinds of child `ticket-spike up` runs, in one place: what up.json records of each (`ChildRecord`) and
 * how each is stopped and when (`ROLES`). Adding a kind of child is one entry in `RoleFields` and one in
 * `ROLES`, and starting it in the launcher; recovery (recover.ts), the watchdog (watchdog.ts), up's own stop and
 * the summary read every child from the one list `UpState.children`.
 */

/** The fields a role's record carries beyond the common ones (`name` is a node's id). */
export interface RoleFields {
  watchdog: Record<never, never>;
  nginx: Record<never, never>;
  node: { port: number; weight: number };
  'orders-worker': Record<never, never>;
  redis: Record<never, never>;
  /** `up --redis-replicas N`: the Sentinels watching the embedded master and its replicas. */
  sentinel: Record<never, never>;
  postgres: Record<never, never>;
}

export type ChildRole = keyof RoleFields;

interface RecordBase {
  /** Stable name in logs and up.json: "redis", "node-3001", "orders-worker-1". */
  name: string;
  pid: number;
  /**
   * Fragments its /proc/<pid>/cmdline must show (src/launcher/proc.ts cmdlineMatches) before anything signals
   * it: pids are recycled.
   */
  cmdlineHas: string[];
  /** The `up` that started it (a refused `up` may carry another one's leftovers forward). */
  upPid: number;
}

/** One running child as up.json records it; `ChildRecord<'node'>` is a node's (with its port and weight). */
export type ChildRecord<R extends ChildRole = ChildRole> = { [K in R]: RecordBase & { role: K } & RoleFields[K] }[R];

/** How a child that outlived its `up` is stopped (by the watchdog or the next `up`: src/launcher/leftovers.ts). */
export interface LeftoverPolicy {
  /** Time to exit without being told: a watchdog mid-cleanup, a node or worker that saw its `up` die. */
  selfExitMs: number;
  signal: NodeJS.Signals;
  /** After the signal, this long before SIGKILL. */
  timeoutMs: number;
}

export interface RolePolicy {
  /**
   * Stop order, lowest first; the children of one rank are stopped together. `up`'s own stop follows it too,
   * except that it stops its watchdog last (after up.json is gone) — a leftover watchdog is stopping the others
   * already, so it goes first: let it finish rather than race it.
   */
  rank: number;
  leftover: LeftoverPolicy;
}

/**
 * nginx first (no new buyers), the nodes (they drain: the last purchases reach Redis), the order workers after
 * the nodes (SIGTERM: they finish the batch in hand — commit, retire, ack — which needs Redis and PostgreSQL),
 * Redis and PostgreSQL last (Redis SIGTERM: it fsyncs the AOF and exits, every sale it recorded is there at the
 * next start; PostgreSQL SIGINT, its fast shutdown: a checkpoint, then exit), the Sentinels just before them.
 */
export const ROLES: Record<ChildRole, RolePolicy> = {
  watchdog: { rank: 0, leftover: { selfExitMs: 20_000, signal: 'SIGTERM', timeoutMs: 2000 } },
  nginx: { rank: 1, leftover: { selfExitMs: 0, signal: 'SIGQUIT', timeoutMs: 5000 } },
  // A node drains on its own once its `up` is gone; a SIGTERM during that drain would cut it short (a second
  // signal means "exit now"), so it gets time first.
  node: { rank: 2, leftover: { selfExitMs: 3000, signal: 'SIGTERM', timeoutMs: 15_000 } },
  // A worker also stops by itself when its `up` is gone (after its batch); one that does not (stuck, or stopped
  // with SIGSTOP) gets SIGTERM, and the time a batch against a slow PostgreSQL takes.
  'orders-worker': { rank: 3, leftover: { selfExitMs: 3000, signal: 'SIGTERM', timeoutMs: 15_000 } },
  // The Sentinels before the data nodes: a Sentinel that saw the master stop would start a failover.
  sentinel: { rank: 4, leftover: { selfExitMs: 0, signal: 'SIGTERM', timeoutMs: 10_000 } },
  redis: { rank: 5, leftover: { selfExitMs: 0, signal: 'SIGTERM', timeoutMs: 10_000 } },
  postgres: { rank: 5, leftover: { selfExitMs: 0, signal: 'SIGINT', timeoutMs: 15_000 } },
};

/** The ranks in stop order, each with its roles. */
export function stopRanks(): ChildRole[][] {
  const ranks = new Map<number, ChildRole[]>();
  for (const role of Object.keys(ROLES) as ChildRole[]) {
    const rank = ROLES[role].rank;
    ranks.set(rank, [...(ranks.get(rank) ?? []), role]);
  }
  return [...ranks.entries()].sort(([a], [b]) => a - b).map(([, roles]) => roles);
}

export function isRole(value: unknown): value is ChildRole {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ROLES, value);
}

/** The records of one role, typed as that role's. */
export function childrenOf<R extends ChildRole>(children: readonly ChildRecord[], role: R): ChildRecord<R>[] {
  // The role decides the record's fields (the mapped union); TypeScript cannot narrow by a generic role.
  return children.filter((c) => c.role === role) as ChildRecord<R>[];
}

/** Every record in stop order (stable within a rank). */
export function inStopOrder(records: readonly ChildRecord[]): ChildRecord[] {
  return [...records].sort((a, b) => ROLES[a.role].rank - ROLES[b.role].rank);
}
