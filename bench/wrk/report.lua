-- Shared by bench/wrk/*.lua: the one JSON line `npm run bench` parses (bench/lib/wrk-summary.ts) — wrk's own
-- figures (its latency histogram's percentiles, in microseconds) plus each script's counters summed over threads.
local M = {}

-- wrk's own duration is its -d (a thread that stops early does not end the run), so a run bounded by a request
-- budget times itself: a monotonic clock through LuaJIT's ffi (os.time is whole seconds).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
function M.now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local function encode(t)
  local parts = {}
  for k, v in pairs(t) do
    local value = type(v) == "table" and encode(v) or string.format("%.17g", v)
    parts[#parts + 1] = string.format("%q:%s", k, value)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- Each thread's counters are its global table `c` (thread:get copies a global out of the thread's Lua state).
function M.done(threads, names, summary, latency)
  local counts = {}
  for _, name in ipairs(names) do counts[name] = 0 end
  local first, last = nil, nil
  for _, thread in ipairs(threads) do
    local tc = thread:get("c") or {}
    for _, name in ipairs(names) do counts[name] = counts[name] + (tc[name] or 0) end
    if tc.firstUs and (first == nil or tc.firstUs < first) then first = tc.firstUs end
    if tc.lastUs and (last == nil or tc.lastUs > last) then last = tc.lastUs end
  end
  local out = {
    durationUs = summary.duration,
    requests = summary.requests,
    errors = summary.errors,
    latencyUs = {
      p50 = latency:percentile(50), p99 = latency:percentile(99), p999 = latency:percentile(99.9),
      max = latency.max, mean = latency.mean,
    },
    counts = counts,
    -- From the first purchase sent to the last one answered, over all threads (0 when none was answered).
    purchaseSpanUs = (first and last) and (last - first) or 0,
  }
  io.write("BENCH-JSON " .. encode(out) .. "\n")
end

-- wrk calls the first thread's request() once more, right after its init(), to count pipelined requests, and
-- throws the request away (script_verify_request). A script calls verify_expected(tid) in init() and asks
-- is_verify_call() first thing in request(), so that this call is neither counted nor a buyer.
local verify_pending = false
function M.verify_expected(tid)
  verify_pending = (tid == 0)
end
function M.is_verify_call()
  if verify_pending then
    verify_pending = false
    return true
  end
  return false
end

-- Sorts one answer into the counters every script keeps: by HTTP status first, then by the business code.
function M.classify(c, status, body)
  if status == 200 then
    if string.find(body, '"code":1,', 1, true) then c.ok = c.ok + 1
    elseif string.find(body, '"code":-1,', 1, true) then c.soldOut = c.soldOut + 1
    elseif string.find(body, '"code":-2,', 1, true) then c.limit = c.limit + 1
    else c.other = c.other + 1 end
  elseif status >= 500 then c.http5xx = c.http5xx + 1
  elseif status == 429 then c.http429 = c.http429 + 1
  else c.http4xx = c.http4xx + 1 end
end

M.CLASSES = { "ok", "soldOut", "limit", "other", "http5xx", "http429", "http4xx" }

return M
