-- wrk script: like new-user.lua (every request a new buyer of sale BENCH), and every purchase carries the
-- buyer's own Idempotency-Key, as a careful client sends: the cost of the key's cross-sale claim.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  sale = args[1] or "BENCH"
end

function request()
  counter = counter + 1
  local user = "u" .. tid .. "_" .. counter
  return wrk.format("GET", "/buy/ticket?user=" .. user .. "&sale=" .. sale, { ["Idempotency-Key"] = "k-" .. user })
end
