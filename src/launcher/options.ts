/** What one `ticket-spike up` runs, fully filled in (the flags are defined and checked in src/cli/up.ts). */
export interface UpOptions {
  nodes: number;
  weights: number[];
  /** nginx's port (buyers). */
  port: number;
  /** First node port; nodes use portBase .. portBase+nodes-1. */
  portBase: number;
  /** Embedded Redis port; `auto` = 6380, or a free port when 6380 is taken. */
  redisPort: number | 'auto';
  /** An external Redis (REDIS_URL or --redis): then no embedded one, and it is not supervised. */
  redisUrl: string | undefined;
  /**
   * The embedded Redis's replicas (0: one Redis). With N > 0: a master, N replicas and three Sentinels; the nodes and
   * workers confirm a write once all N replicas have it (src/launcher/embedded-replicas.ts).
   */
  redisReplicas: number;
  /** Sentinel's down-after-milliseconds for the embedded topology. */
  redisDownAfterMs: number;
  /** Embedded PostgreSQL port; `auto` = 5433, or a free port when 5433 is taken. */
  postgresPort: number | 'auto';
  /** Order workers (Redis stream -> PostgreSQL) `up` runs; 0 = none. */
  ordersWorkers: number;
  /** An external PostgreSQL (DATABASE_URL or --database): then no embedded one, and it is not supervised. */
  databaseUrl: string | undefined;
  /** uWS threads per node; default max(1, cores / nodes). */
  threads: number;
  fresh: boolean;
  varDir: string | undefined;
  demoTotal: number;
  nginxWorkers: number;
  /** nginx's limit_req per client address on purchases: requests a second (0 = off) and the burst. */
  ipRate: number;
  ipBurst: number;
  /** Client addresses (CIDRs) no nginx per-address limit applies to; [] = none. */
  ipRateExempt: string[];
  /** Proxies (CIDRs) whose X-Forwarded-For nginx takes the client address from; [] = none, the TCP peer. */
  trustedProxies: string[];
  /** Each node's per-buyer token bucket (--buyer-rate, 0 = off, and --buyer-burst). */
  buyerRate: number;
  buyerBurst: number;
  /** The admin token from the environment; undefined = make one and print it. */
  adminToken: string | undefined;
}
