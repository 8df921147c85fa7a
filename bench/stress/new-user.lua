-- wrk script: every request is a new buyer (user=u<thread>_<counter>) of sale BENCH, so with stock larger
-- than the number of requests every purchase is a new hold committed to Redis before its answer.
--   wrk ... -s new-user.lua <url> -- BENCH                 plain buyers
--   wrk ... -s new-user.lua <url> -- BENCH keyed           each buyer sends its own Idempotency-Key
--   wrk ... -s new-user.lua <url> -- BENCH token FILE      each buyer is a bearer token from FILE (one per
--                                                          line, buyer authentication on); threads take
--                                                          alternate lines, so nearly every token is new
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
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
  counter = 0
  sale = args[1] or "BENCH"
  mode = args[2] or "plain"
  if mode == "token" then
    tokens = {}
    for line in io.lines(args[3]) do tokens[#tokens + 1] = line end
    counter = tid
  end
end

function request()
  if mode == "token" then
    counter = counter + 2
    return wrk.format("GET", "/buy/ticket?sale=" .. sale, { ["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1] })
  end
  counter = counter + 1
  local user = "u" .. tid .. "_" .. counter
  local headers = nil
  if mode == "keyed" then headers = { ["Idempotency-Key"] = "k-" .. user } end
  return wrk.format("GET", "/buy/ticket?user=" .. user .. "&sale=" .. sale, headers)
end
