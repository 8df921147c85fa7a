#!/usr/bin/env bash
# Does the order worker move the purchase hot path? Purchases through `ticket-spike up` (nginx, 4 nodes, Redis,
# PostgreSQL, one order worker), paced to RATE requests/s, every request a new buyer; phases alternate the
# worker running and stopped (SIGSTOP / SIGCONT on its pid from up.json's children — ours, started here).
# Prints p50/p99 per phase and the ratio running/stopped. Loads only 127.0.0.1, bounded by DURATION per phase.
#   bench/stress/worker-impact.sh
#   RATE=2000 CONNECTIONS=40 DURATION=15s ROUNDS=2 bench/stress/worker-impact.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${RATE:-2000}
CONNECTIONS=${CONNECTIONS:-40}
DURATION=${DURATION:-15s}
ROUNDS=${ROUNDS:-2}
OUT=${OUT:-bench/results/stress-worker-impact.json}
DELAY_MS=$(( 1000 * CONNECTIONS / RATE ))

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ticket-spike-worker-impact.XXXXXX")
UP_PID=""
WORKER_PID=""
cleanup() {
  [ -n "$WORKER_PID" ] && kill -CONT "$WORKER_PID" 2>/dev/null || true
  if [ -n "$UP_PID" ]; then
    kill -INT "$UP_PID" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$UP_PID" 2>/dev/null || true
  fi
  # As root up keeps PostgreSQL's data outside the var dir (var/postgres is a link): remove that too.
  local outside
  outside=$(readlink "$WORK/var/postgres" 2>/dev/null || true)
  [ -n "$outside" ] && rm -rf "$(dirname "$outside")"
  rm -rf "$WORK"
}
trap cleanup EXIT

npx tsc -b >/dev/null
export ADMIN_TOKEN=worker-impact-token
PORT=$(free_port)
BASE=$(( 20000 + RANDOM % 12000 ))
node dist/src/cli/main.js up --var-dir "$WORK/var" --port "$PORT" --port-base "$BASE" --redis-port "$(free_port)" --postgres-port "$(free_port)" \
  --ip-rate 0 --buyer-rate 0 --orders-workers 1 >"$WORK/up.log" 2>&1 &
UP_PID=$!
for _ in $(seq 600); do grep -q 'ticket-spike is up' "$WORK/up.log" 2>/dev/null && break; kill -0 "$UP_PID" || { cat "$WORK/up.log" >&2; exit 1; }; sleep 0.1; done
WORKER_PID=$(pgrep -f -- "orders-worker --consumer orders-worker-1 --parent-pid $UP_PID" | head -1)
[ -n "$WORKER_PID" ] || { echo "no order worker found" >&2; exit 1; }
curl -sf -X POST "http://127.0.0.1:$PORT/admin/sales" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
  -d '{"id":"IMPACT","total":50000000,"perUserLimit":1,"holdSeconds":900,"anonymous":false}' >/dev/null
WRK_DELAY_MS=$DELAY_MS wrk -t1 -c"$CONNECTIONS" -d3s -s bench/stress/new-user.lua "http://127.0.0.1:$PORT" -- IMPACT >/dev/null 2>&1 || true

phase() { # name
  WRK_DELAY_MS=$DELAY_MS wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/stress/new-user.lua "http://127.0.0.1:$PORT" -- IMPACT >"$WORK/$1.txt"
}
# orders status finds up's Redis and PostgreSQL through its up.json (both URLs carry a password: never as flags).
orders_status() { TICKET_SPIKE_VAR="$WORK/var" node dist/src/cli/main.js orders status --sale IMPACT; }
caught_up() { # waits (at most 60 s) until the worker has nothing pending or unread: phases compare steady states
  for _ in $(seq 600); do
    orders_status 2>/dev/null | grep -q 'pending 0, unread 0' && return 0
    sleep 0.1
  done
  echo "worker did not catch up" >&2
}
caught_up
# Stopped, then running once it has caught up the backlog the stop left: the running phase is the worker
# keeping pace with the sale, not a catch-up burst.
for r in $(seq "$ROUNDS"); do
  kill -STOP "$WORKER_PID"
  phase "stopped$r"
  kill -CONT "$WORKER_PID"
  caught_up
  phase "running$r"
done
orders_status >"$WORK/status.txt" 2>&1 || true

node - "$WORK" "$OUT" "$ROUNDS" "$RATE" "$CONNECTIONS" "$DURATION" <<'JS'
const fs = require('fs');
const [work, out, rounds, rate, connections, duration] = process.argv.slice(2);
const ms = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);
function read(name) {
  const text = fs.readFileSync(`${work}/${name}.txt`, 'utf8');
  const pct = (p) => { const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(text); return m ? ms(m[1], m[2]) : null; };
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)[1]), p50ms: pct(50), p99ms: pct(99), non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0) };
}
const phases = {};
for (let r = 1; r <= Number(rounds); r++) for (const k of ['running', 'stopped']) phases[`${k}${r}`] = read(`${k}${r}`);
const avg = (k, f) => { const v = Object.entries(phases).filter(([n]) => n.startsWith(k)).map(([, p]) => p[f]); return v.reduce((a, b) => a + b, 0) / v.length; };
const result = { when: new Date().toISOString(), setup: { rate: Number(rate), connections: Number(connections), duration }, phases,
  p99RunningOverStopped: Number((avg('running', 'p99ms') / avg('stopped', 'p99ms')).toFixed(3)),
  p50RunningOverStopped: Number((avg('running', 'p50ms') / avg('stopped', 'p50ms')).toFixed(3)),
  status: fs.readFileSync(`${work}/status.txt`, 'utf8').trim() };
fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
for (const [n, p] of Object.entries(phases)) console.log(`${n.padEnd(10)} ${p.rps.toFixed(0)} req/s  p50 ${p.p50ms} ms  p99 ${p.p99ms} ms  non-2xx ${p.non2xx}`);
console.log(`p99 worker running / stopped: ${result.p99RunningOverStopped}   p50: ${result.p50RunningOverStopped}`);
console.log(result.status);
console.log(`-> ${out}`);
JS
