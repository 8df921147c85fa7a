import { NODE_DEFAULTS } from '../config/node-config.js';
import { DEFAULT_REDIS_URL } from './redis-url.js';

export const MAIN_HELP = `ticket-spike — flash-sale ticket backend (uWebSockets.js threads, shared-memory stock, Redis authority)

Usage:
  ticket-spike up [--nodes 4] [--weights 1,2,3,4] [--port 8080] [--fresh]
                                    Redis + nodes + nginx + a demo sale, locally (npm start)
  ticket-spike node --port P [--threads N] [--redis URL] [...]
                                    one node (see: ticket-spike node --help)
  ticket-spike sale create --id ID --total N [--per-user-limit N] [--hold-seconds N] [--anonymous]
                           [--opens-at ISO] [--closes-at ISO] [--redis URL]
  ticket-spike sale status ID [--redis URL]
  ticket-spike audit --sale S [--redis URL]     exit 1 when remaining + held + paid != total
  ticket-spike --help

Environment: REDIS_URL (default ${DEFAULT_REDIS_URL}), ADMIN_TOKEN (POST /admin/sales), PORT, LOG_LEVEL.
`;

export const NODE_HELP = `ticket-spike node — one node: N uWS threads on one port, stock in shared memory, Redis as the authority

Usage: ticket-spike node --port P [options]

  --port P              port every thread listens on (env PORT; default ${NODE_DEFAULTS.port})
  --host H              address to listen on (default ${NODE_DEFAULTS.host})
  --threads N           uWS threads (default: number of cores, here ${NODE_DEFAULTS.threads})
  --redis URL           Redis (env REDIS_URL; default ${DEFAULT_REDIS_URL})
  --id NAME             node id, sent as X-Served-By (default node-<port>)
  --weight W            this node's nginx weight (default ${NODE_DEFAULTS.weight})
  --total-weight T      sum of all nodes' weights (default = --weight, i.e. a single node)
  --default-sale ID     sale used by /buy/ticket without ?sale= (env DEFAULT_SALE; default ${NODE_DEFAULTS.defaultSale})
  --stat-log PATH       append one line per purchase outcome here, in batches (default: off)
  --batch-size N        purchases per Redis call, at most (default ${NODE_DEFAULTS.batchSize})
  --batch-window-ms N   how long a batch waits to fill; 0 = the same event-loop turn (default ${NODE_DEFAULTS.batchWindowMs})
  --batch-in-flight N   batches per sale on the wire at once; later purchases wait and leave together
                        when a reply returns (group commit) (default ${NODE_DEFAULTS.batchInFlight})
  --deadline-ms N       a purchase undecided after this is answered 503 + Retry-After (default ${NODE_DEFAULTS.deadlineMs})
  --quota-buffer N      units over the weighted share of the remaining stock (default ${NODE_DEFAULTS.quotaBuffer})
  --max-sales N         sales one node can track (default ${NODE_DEFAULTS.maxSales})
  --reconcile-ms N      quota refresh from Redis per open sale, 0 = off (default ${NODE_DEFAULTS.reconcileMs})
  --sweep-ms N          expired-hold sweep, 0 = off (default ${NODE_DEFAULTS.sweepMs})
  --refresh-ms N        re-list sales from Redis, 0 = off (default ${NODE_DEFAULTS.refreshMs})
  --max-body-bytes N    request body cap, 413 above (default ${NODE_DEFAULTS.maxBodyBytes})
  --log-level L         fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL; default ${NODE_DEFAULTS.logLevel})
  --admin-token T       token for POST /admin/sales (env ADMIN_TOKEN; without one, admin answers 401)

SIGTERM/SIGINT: stop accepting, finish in-flight purchases, flush logs, exit 0. A second signal exits at once.
`;
