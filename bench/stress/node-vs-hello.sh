#!/usr/bin/env bash
# The sale path of one node (--threads 2, Redis with AOF appendfsync always) against a uWS hello-world with
# the same 2 threads, in the same run, with the same wrk settings. Every request is a new buyer and the stock
# is larger than the number of requests, so every purchase commits in Redis before it is answered.
# Loads only 127.0.0.1, bounded by DURATION. Stops everything it started (by pid) on exit.
#   bench/stress/node-vs-hello.sh            # wrk -t2 -c100 -d10s --latency
#   DURATION=5s CONNECTIONS=50 bench/stress/node-vs-hello.sh
#   STOCK=10000 bench/stress/node-vs-hello.sh   # 10,000 tickets, then every buyer hears sold out (the flood)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-100}
WRK_THREADS=${WRK_THREADS:-2}
NODE_THREADS=${NODE_THREADS:-2}
NODE_ARGS=${NODE_ARGS:-}   # extra `ticket-spike node` flags, e.g. "--batch-size 128 --batch-window-ms 2"
OUT=${OUT:-bench/results/stress-node-vs-hello.json}
STOCK=${STOCK:-50000000}   # larger than the requests: every purchase commits (the sale path)
WRK_ARGS=${WRK_ARGS:-}   # new-user.lua's mode after the sale: "keyed", or "token FILE" (see the script)

source bench/stress/servers.sh
NODE_PORT=$(free_port); HELLO_PORT=$(free_port)
WORK=$(new_work_dir stress)
trap stop_started EXIT
start_redis

start_node "$NODE_THREADS"
create_sale BENCH "$STOCK"
node --import tsx bench/baselines/hello.ts --port "$HELLO_PORT" --threads "$NODE_THREADS" >"$WORK/hello.log" 2>&1 &
PIDS+=($!)
wait_ready "http://127.0.0.1:$NODE_PORT/readyz" && wait_ready "http://127.0.0.1:$HELLO_PORT/buy/ticket"

run() { # name port [pid...] -> wrk output file, and the CPU ticks each pid used during the measured run
  local name=$1 port=$2; shift 2
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d2s -s bench/stress/new-user.lua "http://127.0.0.1:$port" -- "WARM$name" >/dev/null 2>&1 || true
  local before=(); for pid in "$@"; do before+=("$(cpu_ticks "$pid")"); done
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/stress/new-user.lua "http://127.0.0.1:$port" -- BENCH $WRK_ARGS >"$WORK/$name.txt"
  local i=0; for pid in "$@"; do echo $(( $(cpu_ticks "$pid") - before[i] )) >"$WORK/$name.cpu.$i"; i=$((i + 1)); done
  cat "$WORK/$name.txt" >&2
}
# Warm-up purchases go to an unknown sale (404 from the node, no Redis write) — only JIT warm-up.
run hello "$HELLO_PORT"
run node "$NODE_PORT" "$NODE_PID" "$REDIS_PID"
run hello2 "$HELLO_PORT"

HELD=$(curl -s "http://127.0.0.1:$NODE_PORT/sales/BENCH" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).data.held))")
node - "$WORK" "$OUT" "$DURATION" "$CONNECTIONS" "$WRK_THREADS" "$NODE_THREADS" "$HELD" "$(getconf CLK_TCK)" "$STOCK" <<'JS'
const fs = require('fs');
const [work, out, duration, connections, wrkThreads, nodeThreads, held, clkTck, stock] = process.argv.slice(2);
const ms = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);
function parse(name) {
  const text = fs.readFileSync(`${work}/${name}.txt`, 'utf8');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)[1]);
  const pct = (p) => { const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(text); return m ? ms(m[1], m[2]) : null; };
  const requests = Number(/(\d+) requests in/.exec(text)[1]);
  const errors = /Socket errors:.*/.exec(text)?.[0] ?? null;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  return { requests, rps, p50ms: pct(50), p99ms: pct(99), socketErrors: errors, non2xx };
}
const hello = parse('hello'), node = parse('node'), hello2 = parse('hello2');
// CPU per answered request, in microseconds: less noisy than throughput on a shared machine.
const usPerRequest = (i) => Number(((Number(fs.readFileSync(`${work}/node.cpu.${i}`, 'utf8')) / Number(clkTck)) * 1e6 / node.requests).toFixed(2));
node.cpuUsPerRequest = { node: usPerRequest(0), redis: usPerRequest(1) };
const helloBest = hello2.rps > hello.rps ? hello2 : hello;
const result = {
  when: new Date().toISOString(),
  command: `wrk -t${wrkThreads} -c${connections} -d${duration} --latency -s bench/stress/new-user.lua <url> -- BENCH ${process.env.WRK_ARGS ?? ''}`.trim(),
  machine: { cpus: require('os').cpus().length, model: require('os').cpus()[0]?.model, note: 'wrk, the servers and redis-server share these cores' },
  setup: { nodeThreads: Number(nodeThreads), redis: 'AOF appendonly yes, appendfsync always', stock: Number(stock), everyRequestNewUser: true },
  hello: { first: hello, second: hello2 },
  node: { ...node, heldInRedisAfter: Number(held) },
  ratio: Number((node.rps / helloBest.rps).toFixed(3)),
  targets: { ratioAtLeast: 0.85, p99AtMostMs: 5, ratioMet: node.rps / helloBest.rps >= 0.85, p99Met: node.p99ms !== null && node.p99ms <= 5 },
};
fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`hello: ${helloBest.rps.toFixed(0)} req/s p50 ${helloBest.p50ms} ms p99 ${helloBest.p99ms} ms`);
console.log(`node:  ${node.rps.toFixed(0)} req/s p50 ${node.p50ms} ms p99 ${node.p99ms} ms  (held in Redis after: ${held})`);
console.log(`cpu per request: node ${node.cpuUsPerRequest.node} us, redis ${node.cpuUsPerRequest.redis} us`);
console.log(`ratio node/hello: ${result.ratio}  -> ${out}`);
JS
