#!/usr/bin/env bash
# The sale path of one node with DASHBOARDS live dashboards connected to /ws/sales vs none (issue 13: "no
# regression beyond noise"). One Redis (AOF, appendfsync always), one node (--threads 2), the same wrk load
# (bench/stress/new-user.lua: every request a new buyer, stock larger than the requests) in rounds that
# alternate none / with dashboards (ABAB..., so a drift of the shared machine hits both alike). Reports req/s,
# p50/p99 and the node's CPU per request per round, and how many snapshots each dashboard received.
# Loads only 127.0.0.1, bounded by DURATION x 2 x ROUNDS. Stops everything it started (by pid) on exit.
#   bench/stress/dashboards.sh                                  # wrk -t2 -c100 -d10s, 10 dashboards, 3 rounds
#   DURATION=20s ROUNDS=5 DASHBOARDS=10 bench/stress/dashboards.sh
#   NODE_ARGS="--dashboard-ms 100" bench/stress/dashboards.sh   # push 10x a second instead of 2x
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}   # 0 = none
ROUNDS=${ROUNDS:-3}
DASHBOARDS=${DASHBOARDS:-10}
CONNECTIONS=${CONNECTIONS:-100}
WRK_THREADS=${WRK_THREADS:-2}
NODE_THREADS=${NODE_THREADS:-2}
NODE_ARGS=${NODE_ARGS:-}
STOCK=${STOCK:-50000000}
OUT=${OUT:-bench/results/stress-dashboards.json}

source bench/stress/servers.sh
NODE_PORT=$(free_port)
WORK=$(new_work_dir dash)
CLIENTS_PID=""
EXTRA_CLEANUP='[ -n "$CLIENTS_PID" ] && kill -TERM "$CLIENTS_PID" 2>/dev/null'
trap stop_started EXIT
start_redis

start_node "$NODE_THREADS"
create_sale BENCH "$STOCK"
wait_ready "http://127.0.0.1:$NODE_PORT/readyz"

run() { # name: one measured wrk run; the node's CPU ticks during it
  local name=$1
  if [ "$WARMUP" != "0" ]; then
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s bench/stress/new-user.lua "http://127.0.0.1:$NODE_PORT" -- "WARM$name" >/dev/null 2>&1 || true
  fi
  # A sale per round: new-user.lua numbers its buyers from 0 each run, and in a sale they already bought in
  # they would be replays (no write, no fsync) instead of new holds.
  create_sale "B$name" "$STOCK"
  local before; before=$(cpu_ticks "$NODE_PID")
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/stress/new-user.lua "http://127.0.0.1:$NODE_PORT" -- "B$name" >"$WORK/$name.txt"
  echo $(( $(cpu_ticks "$NODE_PID") - before )) >"$WORK/$name.cpu"
  grep -E "Requests/sec|^\s+99%" "$WORK/$name.txt" | sed "s/^/$name: /" >&2
}
for round in $(seq "$ROUNDS"); do
  run "none$round"
  node --import tsx bench/stress/dash-clients.ts --url "ws://127.0.0.1:$NODE_PORT/ws/sales" --clients "$DASHBOARDS" --out "$WORK/clients$round.json" >"$WORK/clients$round.log" 2>&1 &
  CLIENTS_PID=$!
  for _ in $(seq 100); do grep -q connected "$WORK/clients$round.log" 2>/dev/null && break; sleep 0.1; done
  grep -q connected "$WORK/clients$round.log" || { echo "the dashboards did not connect: $(cat "$WORK/clients$round.log")" >&2; exit 1; }
  run "dash$round"
  kill -TERM "$CLIENTS_PID"; wait "$CLIENTS_PID" || true; CLIENTS_PID=""
done

node - "$WORK" "$OUT" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$DASHBOARDS" "$NODE_THREADS" "$(getconf CLK_TCK)" "$NODE_ARGS" <<'JS'
const fs = require('fs');
const [work, out, rounds, duration, connections, dashboards, nodeThreads, clkTck, nodeArgs] = process.argv.slice(2);
const ms = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);
function parse(name) {
  const text = fs.readFileSync(`${work}/${name}.txt`, 'utf8');
  const pct = (p) => { const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(text); return m ? ms(m[1], m[2]) : null; };
  const requests = Number(/(\d+) requests in/.exec(text)[1]);
  const cpu = Number(fs.readFileSync(`${work}/${name}.cpu`, 'utf8')) / Number(clkTck);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)[1]), p50ms: pct(50), p99ms: pct(99), requests,
    nodeCpuUsPerRequest: Number(((cpu * 1e6) / requests).toFixed(2)), non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0) };
}
const none = [], dash = [];
for (let r = 1; r <= Number(rounds); r++) {
  none.push(parse(`none${r}`));
  dash.push({ ...parse(`dash${r}`), dashboards: JSON.parse(fs.readFileSync(`${work}/clients${r}.json`, 'utf8')) });
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const summary = (runs) => ({ rps: median(runs.map((r) => r.rps)), p99ms: median(runs.map((r) => r.p99ms)), nodeCpuUsPerRequest: median(runs.map((r) => r.nodeCpuUsPerRequest)) });
const result = {
  when: new Date().toISOString(),
  command: `wrk -t? -c${connections} -d${duration} --latency -s bench/stress/new-user.lua <node> -- B<round> (a new sale per round); ${dashboards} dashboards on /ws/sales (bench/stress/dash-clients.ts)`,
  machine: { cpus: require('os').cpus().length, note: 'wrk, the node, redis-server and the dashboard clients share these cores' },
  setup: { nodeThreads: Number(nodeThreads), nodeArgs, rounds: Number(rounds), order: 'none, dashboards, none, dashboards, ...' },
  none, withDashboards: dash,
  median: { none: summary(none), withDashboards: summary(dash) },
};
result.median.rpsRatio = Number((result.median.withDashboards.rps / result.median.none.rps).toFixed(3));
fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
const fmt = (s) => `${s.rps.toFixed(0)} req/s, p99 ${s.p99ms} ms, node CPU ${s.nodeCpuUsPerRequest} us/request`;
console.log(`no dashboards:   ${fmt(result.median.none)} (median of ${rounds})`);
console.log(`${dashboards} dashboards:   ${fmt(result.median.withDashboards)}`);
console.log(`snapshots per dashboard per round: ${dash.map((d) => Math.min(...d.dashboards.snapshots)).join(', ')} (min)`);
console.log(`ratio with/without: ${result.median.rpsRatio}  -> ${out}`);
JS
