# Sourced by the wrk scripts under bench/ (node-vs-hello.sh, dashboards.sh, bench/profile/sale-path.sh): the
# servers they start, in one place. Everything started goes into PIDS and is stopped by pid on exit — servers
# last started first with SIGTERM (a node drains while Redis is up), SIGKILL for one still up after 5 s — and
# WORK is removed. Set EXTRA_CLEANUP to a command to run first (e.g. stop a client).
#   source bench/stress/servers.sh; WORK=$(new_work_dir name); trap stop_started EXIT; start_redis

PIDS=()
EXTRA_CLEANUP=${EXTRA_CLEANUP:-}

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

new_work_dir() { mktemp -d "${TMPDIR:-/tmp}/ticket-spike-$1.XXXXXX"; }

stop_started() {
  if [ -n "$EXTRA_CLEANUP" ]; then eval "$EXTRA_CLEANUP" || true; fi
  # Last started first, each given 5 s: a node drains its in-flight purchases while Redis is still up.
  local i
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do
    kill -TERM "${PIDS[$i]}" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "${PIDS[$i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${PIDS[$i]}" 2>/dev/null || true
  done
  if [ -n "${WORK:-}" ]; then rm -rf "$WORK"; fi
}

# redis-server on a free port with its data in $WORK, AOF with appendfsync $FSYNC (default always, what
# ticket-spike promises). Sets REDIS_PORT, REDIS_PID, REDIS_URL.
start_redis() {
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK" --appendonly yes --appendfsync "${FSYNC:-always}" \
    --save '' --daemonize no --loglevel warning >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!; PIDS+=("$REDIS_PID")
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
}

# Waits until GET $1 answers 2xx (20 s at most).
wait_ready() { for _ in $(seq 200); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

# CPU time (user + sys, clock ticks) a process has used so far: fields 14 and 15 of /proc/<pid>/stat.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# `ticket-spike sale create` of sale $1 with $2 tickets, 1 per user, in this Redis.
create_sale() { node dist/src/cli/main.js sale create --id "$1" --total "$2" --per-user-limit 1 --redis "$REDIS_URL" >/dev/null; }

# `ticket-spike node` on NODE_PORT with $1 threads, from the built JavaScript as `npm start` runs it (under tsx
# its threads would carry the loader's hooks); NODE_FLAGS go to node itself (--cpu-prof ...), NODE_ARGS to
# the node command. Builds first. Sets NODE_PID; its log is $WORK/node.log.
start_node() {
  npx tsc -b >/dev/null
  # shellcheck disable=SC2086 # flag lists, split on purpose
  node ${NODE_FLAGS:-} dist/src/cli/main.js node --port "$NODE_PORT" --threads "$1" --redis "$REDIS_URL" --log-level warn ${NODE_ARGS:-} >"$WORK/node.log" 2>&1 &
  NODE_PID=$!; PIDS+=("$NODE_PID")
}
