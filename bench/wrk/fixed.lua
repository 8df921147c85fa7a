-- wrk script for one fixed URL (bench/seats/train-load.ts: availability against hello): every request is the
-- URL given to wrk, each answer sorted by its code like the purchases'.
--   wrk ... -s bench/wrk/fixed.lua <url>
package.path = "bench/wrk/?.lua;" .. package.path
local report = require("report")

local threads = {}
local NAMES = { "sent", "answered" }
for _, n in ipairs(report.CLASSES) do NAMES[#NAMES + 1] = n end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  c = {}
  for _, n in ipairs(NAMES) do c[n] = 0 end
end

function request()
  c.sent = c.sent + 1
  if c.firstUs == nil then c.firstUs = report.now_us() end
  return wrk.request()
end

function response(status, headers, body)
  c.answered = c.answered + 1
  c.lastUs = report.now_us()
  report.classify(c, status, body)
end

function done(summary, latency, requests)
  report.done(threads, NAMES, summary, latency)
end
