-- wrk script for bench/stress/flood.sh: ONE bot buyer hammering purchases with a fixed user id over all of
-- wrk's connections, and counting its answers by status (429 = refused by a rate limit).
--   wrk -t1 -c100 -d10s -s bench/stress/bot.lua <url> -- <sale> <user>
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- WRK_DELAY_MS paces each connection: it waits that long after every answer (wrk's delay() hook), so a
-- known number of connections sends a known rate instead of as fast as the machine answers.
local pace_ms = tonumber(os.getenv("WRK_DELAY_MS") or "")
if pace_ms then
  function delay()
    return pace_ms
  end
end

function init(args)
  local sale = args[1] or "FLOOD"
  local user = args[2] or "bot"
  req = wrk.format("GET", "/buy/ticket?user=" .. user .. "&sale=" .. sale)
  n429 = 0
  n2xx = 0
  nother = 0
end

function request()
  return req
end

function response(status, headers, body)
  if status == 429 then
    n429 = n429 + 1
  elseif status >= 200 and status < 300 then
    n2xx = n2xx + 1
  else
    nother = nother + 1
  end
end

function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("n429")
    b = b + thread:get("n2xx")
    c = c + thread:get("nother")
  end
  -- One line flood.sh parses.
  io.write(string.format("BOT-ANSWERS 429=%d 2xx=%d other=%d\n", a, b, c))
end
