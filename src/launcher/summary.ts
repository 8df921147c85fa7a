import { join } from 'node:path';
import { DEMO_SALE } from './demo-sale.js';
import type { NodePlan } from './nodes.js';
import type { UpOptions } from './options.js';
import { STATE_FILE } from './state.js';
import { childrenOf, type ChildRecord, type ChildRole } from './children.js';
import { PASSWORD_FILE } from './embedded-postgres.js';
import { REDIS_PASSWORD_FILE } from './embedded-redis.js';
import { EMBEDDED_MASTER_NAME } from './embedded-replicas.js';
import { rangesContain } from '../rules/address-ranges.js';

/** What the summary `up` prints once everything runs is made of. */
export interface SummaryFacts {
  options: UpOptions;
  varDir: string;
  plan: NodePlan[];
  /** up.json's `children`: every child running, with its pid. */
  children: ChildRecord[];
  embeddedRedis: boolean;
  embeddedPostgres: boolean;
  redisUrl: string;
  redisDataDir: string | undefined;
  databaseUrl: string;
  postgresDataDir: string | undefined;
  demo: 'created' | 'exists' | undefined;
  adminToken: string;
  tokenGenerated: boolean;
}

/** The lines `up` prints when it is up: where everything runs, the admin token, what to try. */
export function upSummary(f: SummaryFacts): string {
  const o = f.options;
  const url = `http://127.0.0.1:${o.port}`;
  const pid = (role: ChildRole, name?: string) => f.children.find((c) => c.role === role && (name === undefined || c.name === name))?.pid ?? '-';
  const workers = childrenOf(f.children, 'orders-worker');
  const lines = [
    '',
    `ticket-spike is up — nginx ${url} (weighted ${o.weights.join(':')}, HTTP/1.1 keep-alive to the nodes)`,
    '',
    `  nginx   ${url}   pid ${pid('nginx')}   conf ${join(f.varDir, 'nginx', 'nginx.conf')}`,
    ...f.plan.map((n) => `  ${n.id.padEnd(9)} http://127.0.0.1:${n.port}  weight ${n.weight}  pid ${pid('node', n.id)}  threads ${o.threads}`),
    ...(f.embeddedRedis && o.redisReplicas > 0
      ? [
          `  redis   ${o.redisReplicas + 1} data nodes (AOF, appendfsync always; a write is confirmed once all ${o.redisReplicas} replicas have it):`,
          ...childrenOf(f.children, 'redis').map((c) => `          ${c.name.padEnd(16)} ${c.cmdlineHas[1] ?? ''}  pid ${c.pid}`),
          `          Sentinels (master "${EMBEDDED_MASTER_NAME}", down after ${o.redisDownAfterMs} ms): ${childrenOf(f.children, 'sentinel').map((c) => `${c.cmdlineHas[1] ?? ''} pid ${c.pid}`).join(', ')}`,
          `          password in ${join(f.varDir, REDIS_PASSWORD_FILE)}; the nodes reach the master through the Sentinels (up.json redisUrl)`,
        ]
      : f.embeddedRedis
      ? [
          `  redis   ${withoutPassword(f.redisUrl)}  pid ${pid('redis')}  data ${f.redisDataDir} (AOF, appendfsync always)`,
          `          password in ${join(f.varDir, REDIS_PASSWORD_FILE)} and ${join(f.varDir, STATE_FILE)} (redisUrl), both mode 0600; redis-cli: REDISCLI_AUTH=$(cat ${join(f.varDir, REDIS_PASSWORD_FILE)})`,
        ]
      : [`  redis   ${withoutPassword(f.redisUrl)} (external, not supervised)`]),
    ...(f.embeddedPostgres
      ? [
          `  postgres ${withoutPassword(f.databaseUrl)}  pid ${pid('postgres')}  data ${f.postgresDataDir} (fsync on; orders' system of record)`,
          `           password in ${join(f.varDir, PASSWORD_FILE)} and ${join(f.varDir, STATE_FILE)} (databaseUrl), both mode 0600`,
        ]
      : [`  postgres ${withoutPassword(f.databaseUrl)} (external, not supervised)`]),
    `  logs    ${join(f.varDir, 'logs')}    state ${join(f.varDir, STATE_FILE)}`,
    `  tickets keys ${join(f.varDir, 'ticket-keys')} (new key: npx ticket-spike tickets rotate-key; old tickets still verify)`,
    `  orders  ${workers.length} worker${workers.length === 1 ? '' : 's'} (pid ${workers.map((w) => w.pid).join(', ') || '-'}): Redis stream -> PostgreSQL; npx ticket-spike orders status`,
    ...otherChildren(f.children),
    `  watchdog pid ${pid('watchdog')}: if this up dies, stops what it ran (the nodes and workers stop by themselves, in time)`,
    ...limitLines(o),
    '',
    `Demo sale "${DEMO_SALE.id}" ${f.demo === 'created' ? 'created' : 'already existed (kept as is; --fresh starts over)'}: ` +
      `${f.demo === 'created' ? o.demoTotal : 'its'} tickets, anonymous buyers allowed, 1 per user, holds released after ${DEMO_SALE.holdSeconds} s.`,
    `Admin token${f.tokenGenerated ? ' (generated; set ADMIN_TOKEN to choose one)' : ' (from ADMIN_TOKEN)'}: ${f.adminToken}`,
    '',
    `Dashboard: ${url}/dashboard   (live counters, nodes and charts; pause/resume/close take the admin token)`,
    `Grafana: grafana/ticket-spike.json for Prometheus scraping each node's /metrics`,
    '',
    'Try:',
    `  curl -s ${url}/sales/demo`,
    `  curl -si '${url}/buy/ticket?user=alice'          # X-Served-By names the node`,
    `  ab -n 10000 -c 100 ${url}/buy/ticket              # the article's run (ab speaks HTTP/1.0: through nginx only)`,
    `  wrk -t2 -c200 -d10s ${url}/buy/ticket`,
    ...(o.ipRate === 0 || rangesContain(o.ipRateExempt, '127.0.0.1')
      ? []
      : ['  (127.0.0.1 is not in --ip-rate-exempt: ab and wrk here are one address to nginx, most of their purchases get 429)']),
    `  curl -s -X POST ${url}/admin/sales -H 'Authorization: Bearer ${f.adminToken}' -H 'Content-Type: application/json' \\`,
    `       -d '{"id":"G1234","total":10000,"perUserLimit":1,"holdSeconds":900,"anonymous":false}'`,
    '  npx ticket-spike sale status demo      npx ticket-spike audit --sale demo   (they find this Redis via up.json)',
    '  npx ticket-spike sale list             npx ticket-spike sale pause demo     (also resume, close, add-stock)',
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}

/**
 * A URL as it may be printed: its password (in the userinfo or a `password` parameter, as libpq takes it) as
 * ***. A summary is read over shoulders, pasted into tickets and kept in terminal scrollback; the password
 * stays in the 0600 files. Text that is no URL is not printed at all.
 */
export function withoutPassword(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(a URL that does not parse; not shown)';
  }
  if (parsed.password !== '') parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.href;
}

/** The roles with a line of their own above. */
const DESCRIBED: readonly ChildRole[] = ['nginx', 'node', 'redis', 'sentinel', 'postgres', 'orders-worker', 'watchdog'];

/** A kind of child the summary has no line for yet still shows, by name and pid. */
function otherChildren(children: ChildRecord[]): string[] {
  return children.filter((c) => !DESCRIBED.includes(c.role)).map((c) => `  ${c.name.padEnd(9)} pid ${c.pid}`);
}

/** What nginx and the nodes limit, and which address counts as the client. */
function limitLines(o: UpOptions): string[] {
  const exempt = o.ipRateExempt.length === 0 ? 'none, every address is limited' : o.ipRateExempt.join(', ');
  const purchases = o.ipRate === 0 ? 'no purchase limit' : `/buy/ticket ${o.ipRate} r/s + burst ${o.ipBurst}`;
  const client =
    o.trustedProxies.length === 0
      ? 'the TCP peer (X-Forwarded-For ignored; behind a load balancer: --trusted-proxy CIDR)'
      : `from X-Forwarded-For when sent by ${o.trustedProxies.join(', ')} (--trusted-proxy), else the TCP peer`;
  return [
    `  limits  per address (nginx): ${purchases}; /orders/, /tickets/, /admin/ and 128 requests in progress (nginx/nginx.conf)`,
    `          exempt from them (--ip-rate-exempt): ${exempt}`,
    `          per buyer (nodes): ${o.buyerRate === 0 ? 'no per-buyer limit' : `${o.buyerRate}/s + burst ${o.buyerBurst}`}; over a limit 429 + Retry-After`,
    `          client address: ${client}`,
  ];
}
