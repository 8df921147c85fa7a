-- wrk script: every request is a new buyer (user=u<thread>_<counter>) of sale BENCH, so with stock larger
-- than the number of requests every purchase is a new hold committed to Redis before its answer.
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
  return wrk.format("GET", "/buy/ticket?user=u" .. tid .. "_" .. counter .. "&sale=" .. sale)
end
