// What a scenario needs of a system under test, whichever it is: where to send load, and after the load, what
// its own Redis says was sold and whether its books close.
import type { Redis } from 'ioredis';

/** The four systems of issue 12: the ceiling, the product, and the two designs it is compared with. */
export type SystemName = 'hello' | 'ticket-spike' | 'typical' | 'article';
export const SYSTEMS: readonly SystemName[] = ['hello', 'ticket-spike', 'typical', 'article'];

export interface SaleSpec {
  id: string;
  stock: number;
  /** Buyers without a user (ab's one URL), no per-user limit. */
  anonymous: boolean;
}

/** How a system is laid out: nodes (processes), threads or workers each, nginx in front or not. */
export interface Layout {
  nodes: number;
  /** uWS threads per node (hello, ticket-spike) or cluster workers (typical). The article is one thread. */
  threads: number;
  /** nginx weights, one per node; ignored without nginx. */
  weights: number[];
  nginx: boolean;
}

export interface Books {
  /** Tickets sold per the system's Redis (ticket-spike: held + paid). 0 for hello, which sells nothing. */
  sold: number;
  ok: boolean;
  problems: string[];
  /** Whatever else the audit read, for the report (paid, cancelled, orders, stream entries ...). */
  detail: Record<string, number | boolean | string>;
}

export interface RunningSystem {
  system: SystemName;
  /** Where buyers connect: nginx or the node itself. */
  url: string;
  /** One line for the report, e.g. "4 nodes x 1 thread, weights 1:2:3:4, nginx". */
  layout: string;
  /** The system's Redis (none for hello). */
  redis: Redis | undefined;
  /**
   * The server processes the bench started (nodes, the typical cluster's primary, the article): their CPU time is
   * the system's "server" share. A node's uWS threads and pool are threads of its process, counted with it; a
   * cluster's workers are child processes, found under these pids when the CPU is read (bench/lib/cpu.ts).
   * nginx is in neither share.
   */
  serverPids: number[];
  /** The system's redis-server, whose CPU time is its "Redis" share (none for hello). */
  redisPid: number | undefined;
  /** Stops the servers (drained: purchases in flight are decided) and nginx; Redis stays up for books(). */
  stopServers(): Promise<void>;
  /** Read after stopServers(), so that nothing moves while they are counted. */
  books(): Promise<Books>;
  /** Stops whatever still runs, Redis last. */
  stop(): Promise<void>;
}

export function describeLayout(system: SystemName, l: Layout): string {
  const unit = system === 'typical' ? 'workers' : system === 'article' ? 'process' : 'threads';
  const shape = system === 'article' ? '1 process, 1 lock' : `${l.nodes} node${l.nodes > 1 ? 's' : ''} x ${l.threads} ${unit}`;
  const weights = l.nginx && l.nodes > 1 ? `, weights ${l.weights.join(':')}` : '';
  return `${shape}${weights}${l.nginx ? ', behind nginx' : ', direct'}`;
}
