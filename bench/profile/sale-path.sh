#!/usr/bin/env bash
# Where each microsecond of a purchase goes, on the sale path (every request a new buyer, stock > demand):
# one node (--threads 2) under wrk -t2 -c100, Redis with AOF appendfsync always. Prints
#   - answered/s, p50/p99;
#   - CPU per purchase of the node process and of redis-server (/proc/<pid>/stat, user + sys);
#   - Redis per purchase by command (INFO commandstats: the script's own Lua time is evalsha minus the
#     commands it called);
#   - with PROFILE=1 (default), the node's busy time by JavaScript function, per thread (node --cpu-prof).
# Loads only 127.0.0.1 for DURATION; stops what it started, by pid.
#   bench/profile/sale-path.sh
#   DURATION=10s NODE_ARGS="--batch-in-flight 1" PROFILE=0 bench/profile/sale-path.sh
#   STOCK=1000 bench/profile/sale-path.sh      # sold out after 1,000: the sold-out path instead
#   FSYNC=everysec bench/profile/sale-path.sh  # not the durability ticket-spike promises: shows what the fsync costs
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-8s}; STOCK=${STOCK:-50000000}; PROFILE=${PROFILE:-1}; THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-100}; NODE_ARGS=${NODE_ARGS:-}
source bench/stress/servers.sh
NODE_PORT=$(free_port)
WORK=$(new_work_dir profile)
trap stop_started EXIT
start_redis
[ "$PROFILE" = 1 ] && NODE_FLAGS="${NODE_FLAGS:-} --cpu-prof --cpu-prof-dir=$WORK/prof"
start_node "$THREADS"
create_sale BENCH "$STOCK"
# The warm-up buys in its own sale: its buyers have the same names as the measured run's.
create_sale WARM 50000000
wait_ready "http://127.0.0.1:$NODE_PORT/readyz"
# Warm-up on the sale path too (the profile covers the whole run).
wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-2s}" -s bench/stress/new-user.lua "http://127.0.0.1:$NODE_PORT" -- WARM >/dev/null 2>&1 || true
redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
n0=$(cpu_ticks "$NODE_PID"); r0=$(cpu_ticks "$REDIS_PID")
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/stress/new-user.lua "http://127.0.0.1:$NODE_PORT" -- BENCH >"$WORK/wrk.txt"
n1=$(cpu_ticks "$NODE_PID"); r1=$(cpu_ticks "$REDIS_PID")
redis-cli -p "$REDIS_PORT" info commandstats >"$WORK/commandstats.txt"
kill -TERM "$NODE_PID"; for _ in $(seq 100); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
[ -n "${NODE_LOG:-}" ] && cp "$WORK/node.log" "$NODE_LOG"   # e.g. NODE_FLAGS=--trace-gc NODE_LOG=/tmp/gc.txt
node - "$WORK" "$((n1 - n0))" "$((r1 - r0))" "$(getconf CLK_TCK)" <<'JS'
const fs = require('fs');
const [work, nodeTicks, redisTicks, hz] = process.argv.slice(2);
const wrk = fs.readFileSync(`${work}/wrk.txt`, 'utf8');
const requests = Number(/(\d+) requests in/.exec(wrk)[1]);
const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(wrk)[1]);
const pct = (p) => /^\s+(\d+)%\s+([\d.]+\w+)/m.exec(wrk.split('\n').find((l) => l.trim().startsWith(`${p}%`)) ?? '')?.[2];
const us = (ticks) => ((Number(ticks) / Number(hz)) * 1e6 / requests).toFixed(2);
console.log(`${requests} purchases, ${rps.toFixed(0)}/s, p50 ${pct(50)}, p99 ${pct(99)}`);
console.log(`CPU per purchase: node ${us(nodeTicks)} us, redis-server ${us(redisTicks)} us`);
let inside = 0, script = 0, calls = 0;
const rows = [];
for (const m of fs.readFileSync(`${work}/commandstats.txt`, 'utf8').matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)) {
  const [, name, c, usec] = m;
  if (name === 'evalsha' || name === 'eval') { script += Number(usec); calls += Number(c); continue; }
  if (name === 'config' || name === 'info') continue;
  inside += Number(usec);
  rows.push([name, Number(c), Number(usec)]);
}
console.log(`Redis per purchase (${calls} script calls, ${(requests / Math.max(1, calls)).toFixed(1)} purchases per call):`);
console.log(`  script total ${(script / requests).toFixed(2)} us = Lua's own ${((script - inside) / requests).toFixed(2)} us + commands ${(inside / requests).toFixed(2)} us`);
for (const [name, c, usec] of rows.sort((a, b) => b[2] - a[2])) console.log(`    ${name.padEnd(8)} ${(usec / requests).toFixed(2)} us  (${(c / Math.max(1, calls)).toFixed(1)} per call)`);
JS
if [ "$PROFILE" = 1 ]; then
  files=("$WORK"/prof/*.cpuprofile)
  node --import tsx bench/profile/cpuprofile-summary.ts --top "${TOP:-25}" "${files[@]}"
fi
