-- wrk script for the waiting room (bench/queue/*.ts). Two modes:
--   wrk ... -s bench/wrk/queue.lua <url> -- join <sale> <run> <budget per thread> [token file prefix]
--     POST /queue/<sale>/join, a new buyer each (user = <run>-<thread>-<n>), until the budget is answered; with a
--     prefix each thread appends the tokens it was given to <prefix>-<thread> (one per line) for the poll mode.
--   wrk ... -s bench/wrk/queue.lua <url> -- poll <sale> <token file> [tokens per thread, default 50000]
--     GET /queue/<sale>/status, cycling over tokens read from the file (thread t its t-th run of n lines).
-- Answers are sorted by code like the purchases' (report.lua): a join or a poll answered is "ok".
package.path = "bench/wrk/?.lua;" .. package.path
local report = require("report")

local threads = {}
local next_id = 0
local NAMES = { "sent", "answered", "extra" }
for _, n in ipairs(report.CLASSES) do NAMES[#NAMES + 1] = n end

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  sale = args[2]
  c = {}
  for _, n in ipairs(NAMES) do c[n] = 0 end
  filler = wrk.format("GET", "/bench-extra")
  report.verify_expected(tid)
  if mode == "join" then
    run = args[3]
    budget = tonumber(args[4])
    if args[5] then out = io.open(args[5] .. "-" .. tid, "a") end
  else
    tokens = {}
    local want = tonumber(args[4] or "50000")
    -- Thread t takes lines [t x want, (t + 1) x want): the threads poll different buyers.
    local i = 0
    for line in io.lines(args[3]) do
      if i >= tid * want then tokens[#tokens + 1] = line end
      i = i + 1
      if #tokens >= want then break end
    end
    at = 0
    budget = 0
  end
end

function request()
  if report.is_verify_call() then return filler end
  if mode == "join" then
    if c.sent >= budget then return filler end
    c.sent = c.sent + 1
    if c.firstUs == nil then c.firstUs = report.now_us() end
    local body = '{"user":"' .. run .. "-" .. tid .. "-" .. c.sent .. '"}'
    return wrk.format("POST", "/queue/" .. sale .. "/join", { ["Content-Type"] = "application/json" }, body)
  end
  c.sent = c.sent + 1
  if c.firstUs == nil then c.firstUs = report.now_us() end
  at = at % #tokens + 1
  return wrk.format("GET", "/queue/" .. sale .. "/status", { ["Queue-Token"] = tokens[at] })
end

function response(status, headers, body)
  if mode == "join" and c.sent >= budget and status == 404 then
    c.extra = c.extra + 1
  else
    c.answered = c.answered + 1
    c.lastUs = report.now_us()
    report.classify(c, status, body)
    if out and status == 200 then
      local token = string.match(body, '"token":"([^"]+)"')
      if token then out:write(token, "\n") end
    end
  end
  if mode == "join" and not c.stopped and (c.answered >= budget or c.extra >= 5000) then
    c.stopped = 1
    if out then out:close(); out = nil end
    io.write("BENCH-THREAD-DONE\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  report.done(threads, NAMES, summary, latency)
end
