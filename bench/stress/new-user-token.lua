-- wrk script: every request a new buyer of sale BENCH, identified by a bearer token (buyer authentication on):
-- tokens are read from the file named by the second argument, one per line, each used once per thread pass,
-- so nearly every request costs a signature check (a buyer's first request). Threads take alternate lines.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  sale = args[1] or "BENCH"
  tokens = {}
  for line in io.lines(args[2]) do tokens[#tokens + 1] = line end
  counter = tid
end

function request()
  counter = counter + 2
  local token = tokens[(counter % #tokens) + 1]
  return wrk.format("GET", "/buy/ticket?sale=" .. sale, { ["Authorization"] = "Bearer " .. token })
end
