-- wrk script for `npm run bench`: every purchase is a new buyer, distinct across threads, connections and runs
-- (user = <run>-<thread>-<n>), and each answer is sorted by its code.
--   wrk ... -s bench/wrk/buyers.lua <url> -- <sale> <run> [user|anon] [budget per thread, 0 = until -d] [stations]
-- With `stations` (a train sale of stations S00, S01, ...) each purchase also asks for a trip in class "second"
-- (bench/seats: 70 % of 1-3 segments, 30 % of half the route or more, from a per-thread pseudo-random stream).
-- With a budget a thread sends exactly that many purchases, then stops once they are answered (the
-- `million`: a known number of buyers). Requests after the budget, while the last answers come in, are
-- GET /bench-extra, a 404 on every system (counted apart, never a purchase). `anon` sends the article's one
-- URL with no user.
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
  sale = args[1] or "BENCH"
  run = args[2] or "r"
  mode = args[3] or "user"
  budget = tonumber(args[4] or "0")
  stations = tonumber(args[5] or "0")
  seed = 7919 * (tid + 1)
  c = {}
  for _, n in ipairs(NAMES) do c[n] = 0 end
  filler = wrk.format("GET", "/bench-extra")
end

function request()
  if budget > 0 and c.sent >= budget then return filler end
  c.sent = c.sent + 1
  if c.firstUs == nil then c.firstUs = report.now_us() end
  if mode == "anon" then return wrk.format("GET", "/buy/ticket?sale=" .. sale) end
  return wrk.format("GET", "/buy/ticket?sale=" .. sale .. "&user=" .. run .. "-" .. tid .. "-" .. c.sent .. trip())
end

-- A trip on a train of `stations` stations ('' for a counter sale): an LCG per thread, the same mix as
-- bench/seats/fill.ts.
local function rand()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
end
function trip()
  if stations <= 1 then return "" end
  local S = stations - 1
  local half = math.ceil(S / 2)
  local len = rand() < 0.7 and 1 + math.floor(rand() * 3) or half + math.floor(rand() * (S - half + 1))
  local a = math.floor(rand() * (S - len + 1))
  return string.format("&from=S%02d&to=S%02d&class=second", a, a + len)
end

function response(status, headers, body)
  -- A filler's 404 says nothing about sales; it only keeps the connection busy until the thread stops. (No
  -- purchase is a 404: the sale exists.)
  if budget > 0 and c.sent >= budget and status == 404 then
    c.extra = c.extra + 1
  else
    c.answered = c.answered + 1
    c.lastUs = report.now_us()
    report.classify(c, status, body)
  end
  -- Stop when every purchase is answered; a purchase lost to a socket error never is: give up after a while.
  -- The runner interrupts wrk (SIGINT: wrk prints its summary) once every thread has said it is done.
  if budget > 0 and not c.stopped and (c.answered >= budget or c.extra >= 5000) then
    c.stopped = 1
    io.write("BENCH-THREAD-DONE\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  report.done(threads, NAMES, summary, latency)
end
