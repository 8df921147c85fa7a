#!/usr/bin/env bash
# A bot flood against normal buyers, through `ticket-spike up` (embedded Redis, 4 nodes 1:2:3:4, nginx): what do
# normal buyers' latencies look like while a few bots hammer purchases, and how much of the flood do the rate
# limits turn away (429)?
#
#   phase "alone": normal buyers only           wrk --latency, every request a new buyer (new-user.lua), paced
#                  to NORMAL_RATE requests/s in all (each connection waits after each answer)
#   phase "flood": the same normal buyers, plus BOTS wrk processes of BOT_CONNECTIONS connections each, every
#                  process one bot buyer with a fixed user id (bot.lua), paced to FLOOD_FACTOR x NORMAL_RATE
#                  in all: the per-buyer limit is what meets them
# Pacing matters: unpaced, the normal buyers alone already saturate the two cores, and "p99 within 2x" would
# compare two overloads. Paced, the normal buyers are a steady crowd and the flood is a known multiple of it.
#   COMPARE_OFF=1  also runs the flood against an `up` with --buyer-rate 0 (no per-buyer limit)
#
# Why per-buyer flooding and not per-address: every wrk here connects from 127.0.0.1, so nginx sees ONE client
# address for bots and normal buyers alike (binding other loopback sources is not something wrk can do).
# The per-address zone would refuse both alike, so `up` runs with --ip-rate 0 and the bots are told apart by
# their user ids — the node's per-buyer token buckets. (The per-address limit is covered by
# test/integration/rate-limits.test.ts and nginx-config.test.ts.)
#
# Loads only 127.0.0.1, bounded by DURATION per phase. Stops everything it started (up, by pid) on exit.
#   bench/stress/flood.sh
#   DURATION=10s BOTS=3 BOT_CONNECTIONS=100 NORMAL_CONNECTIONS=20 NORMAL_RATE=400 FLOOD_FACTOR=10 BUYER_RATE=5 BUYER_BURST=20 bench/stress/flood.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
BOTS=${BOTS:-3}
BOT_CONNECTIONS=${BOT_CONNECTIONS:-100}
NORMAL_CONNECTIONS=${NORMAL_CONNECTIONS:-20}
BUYER_RATE=${BUYER_RATE:-5}
BUYER_BURST=${BUYER_BURST:-20}
COMPARE_OFF=${COMPARE_OFF:-0}
NORMAL_RATE=${NORMAL_RATE:-400}       # requests/s from all normal buyers together
FLOOD_FACTOR=${FLOOD_FACTOR:-10}      # the bots together send this many times NORMAL_RATE
# Per-connection pause after each answer (ms) so that N connections send the target rate (answers take
# a few ms, so the real rates come out a little lower; the report prints them).
NORMAL_DELAY_MS=$(( 1000 * NORMAL_CONNECTIONS / NORMAL_RATE ))
BOT_DELAY_MS=$(( 1000 * BOTS * BOT_CONNECTIONS / (NORMAL_RATE * FLOOD_FACTOR) ))
OUT=${OUT:-bench/results/stress-flood.json}
STOCK=${STOCK:-50000000}   # never sold out during the run: every normal purchase is a commit in Redis

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ticket-spike-flood.XXXXXX")
UP_PID=""
stop_up() {
  [ -n "$UP_PID" ] || return 0
  kill -INT "$UP_PID" 2>/dev/null || true   # up stops nginx, drains the nodes, stops Redis
  for _ in $(seq 300); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$UP_PID" 2>/dev/null || true
  UP_PID=""
}
cleanup() {
  stop_up
  # As root up keeps PostgreSQL's data outside the var dir (var/postgres is a link): remove that too.
  local outside
  outside=$(readlink "$WORK/var/postgres" 2>/dev/null || true)
  [ -n "$outside" ] && rm -rf "$(dirname "$outside")"
  rm -rf "$WORK"
}
trap cleanup EXIT

npx tsc -b >/dev/null
CLI="node dist/src/cli/main.js"
export ADMIN_TOKEN=flood-bench-token

start_up() { # buyer-rate -> starts up, sets PORT, creates the sale
  local rate=$1
  PORT=$(free_port)
  local base=$(( 20000 + RANDOM % 12000 ))   # below the ephemeral range (32768+), where a live client socket can hold a port
  rm -rf "$WORK/var" "$WORK/up.log"
  $CLI up --fresh --var-dir "$WORK/var" --port "$PORT" --port-base "$base" --redis-port "$(free_port)" \
    --ip-rate 0 --buyer-rate "$rate" --buyer-burst "$BUYER_BURST" >"$WORK/up.log" 2>&1 &
  UP_PID=$!
  for _ in $(seq 600); do
    grep -q 'ticket-spike is up' "$WORK/up.log" 2>/dev/null && break
    kill -0 "$UP_PID" 2>/dev/null || { cat "$WORK/up.log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q 'ticket-spike is up' "$WORK/up.log" || { echo "up did not start" >&2; cat "$WORK/up.log" >&2; exit 1; }
  curl -sf -X POST "http://127.0.0.1:$PORT/admin/sales" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"id\":\"FLOOD\",\"total\":$STOCK,\"perUserLimit\":1,\"holdSeconds\":900,\"anonymous\":false}" >/dev/null
  # Warm-up (JIT, keep-alive pools): an unknown sale, no Redis write.
  wrk -t1 -c"$NORMAL_CONNECTIONS" -d2s -s bench/stress/new-user.lua "http://127.0.0.1:$PORT" -- WARM >/dev/null 2>&1 || true
}

normal() { # name -> normal buyers' wrk output in $WORK/<name>.txt
  WRK_DELAY_MS=$NORMAL_DELAY_MS wrk -t1 -c"$NORMAL_CONNECTIONS" -d"$DURATION" --latency -s bench/stress/new-user.lua "http://127.0.0.1:$PORT" -- FLOOD >"$WORK/$1.txt"
}

flood() { # name -> normal buyers beside BOTS bot processes; bot outputs in $WORK/<name>.bot<i>.txt
  local pids=() i
  for i in $(seq "$BOTS"); do
    WRK_DELAY_MS=$BOT_DELAY_MS wrk -t1 -c"$BOT_CONNECTIONS" -d"$DURATION" -s bench/stress/bot.lua "http://127.0.0.1:$PORT" -- FLOOD "bot$i" >"$WORK/$1.bot$i.txt" 2>&1 &
    pids+=($!)
  done
  normal "$1"
  for pid in "${pids[@]}"; do wait "$pid" || true; done
}

start_up "$BUYER_RATE"
normal alone
flood flood
stop_up
if [ "$COMPARE_OFF" = 1 ]; then
  start_up 0
  flood flood_off
  stop_up
fi

node - "$WORK" "$OUT" "$DURATION" "$BOTS" "$BOT_CONNECTIONS" "$NORMAL_CONNECTIONS" "$BUYER_RATE" "$BUYER_BURST" "$COMPARE_OFF" "$NORMAL_RATE" "$FLOOD_FACTOR" <<'JS'
const fs = require('fs');
const [work, out, duration, bots, botConnections, normalConnections, buyerRate, buyerBurst, compareOff, normalRate, floodFactor] = process.argv.slice(2);
const ms = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);
function normal(name) {
  const text = fs.readFileSync(`${work}/${name}.txt`, 'utf8');
  const pct = (p) => { const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(text); return m ? ms(m[1], m[2]) : null; };
  return {
    requests: Number(/(\d+) requests in/.exec(text)[1]),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)[1]),
    p50ms: pct(50), p99ms: pct(99),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    socketErrors: /Socket errors:.*/.exec(text)?.[0] ?? null,
  };
}
function flood(name) {
  const answers = { '429': 0, '2xx': 0, other: 0 };
  for (let i = 1; i <= Number(bots); i++) {
    const m = /BOT-ANSWERS 429=(\d+) 2xx=(\d+) other=(\d+)/.exec(fs.readFileSync(`${work}/${name}.bot${i}.txt`, 'utf8'));
    if (m) { answers['429'] += Number(m[1]); answers['2xx'] += Number(m[2]); answers.other += Number(m[3]); }
  }
  const total = answers['429'] + answers['2xx'] + answers.other;
  const seconds = ms(/^(\d+)(s|ms)?$/.exec(duration)?.[1] ?? 10, /^(\d+)(s|ms)?$/.exec(duration)?.[2] ?? 's') / 1000;
  return { botAnswers: answers, botRequests: total, botRps: Math.round(total / seconds), share429: total === 0 ? null : Number((answers['429'] / total).toFixed(4)), normal: normal(name) };
}
const alone = normal('alone');
const limited = flood('flood');
const result = {
  when: new Date().toISOString(),
  machine: { cpus: require('os').cpus().length, model: require('os').cpus()[0]?.model, note: 'wrk, nginx, the nodes and redis-server share these cores' },
  setup: { up: `--ip-rate 0 --buyer-rate ${buyerRate} --buyer-burst ${buyerBurst}`, duration, bots: Number(bots), botConnections: Number(botConnections), normalConnections: Number(normalConnections), normalRateTarget: Number(normalRate), floodFactor: Number(floodFactor) },
  normalAlone: alone,
  flood: limited,
  p99RatioFloodVsAlone: alone.p99ms && limited.normal.p99ms ? Number((limited.normal.p99ms / alone.p99ms).toFixed(2)) : null,
};
if (compareOff === '1') result.floodWithoutBuyerLimit = flood('flood_off');
fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`normal buyers alone:      ${alone.rps.toFixed(0)} req/s  p50 ${alone.p50ms} ms  p99 ${alone.p99ms} ms`);
console.log(`normal buyers, flooded:   ${limited.normal.rps.toFixed(0)} req/s  p50 ${limited.normal.p50ms} ms  p99 ${limited.normal.p99ms} ms`);
console.log(`p99 flooded / alone:       ${result.p99RatioFloodVsAlone}`);
console.log(`flood: ${limited.botRps} bot req/s (${(limited.botRps / alone.rps).toFixed(1)}x the normal buyers), ${limited.botRequests} bot requests, ${(100 * (limited.share429 ?? 0)).toFixed(1)} % answered 429`);
if (result.floodWithoutBuyerLimit) {
  const off = result.floodWithoutBuyerLimit;
  console.log(`without the buyer limit:  ${off.normal.rps.toFixed(0)} req/s  p99 ${off.normal.p99ms} ms (${(off.normal.p99ms / alone.p99ms).toFixed(2)}x alone); flood ${off.botRps} req/s, ${(100 * (off.share429 ?? 0)).toFixed(1)} % 429`);
}
console.log(`-> ${out}`);
JS
