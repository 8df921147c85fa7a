-- wrk script for the `mixed` scenario: what a real crowd sends besides first clicks. Each request is, at random:
--   45 % a new buyer (half of them with an Idempotency-Key)
--   15 % a repeat click: a recent buyer again, no key (limit 1: they get their order back)
--   15 % a retry with the key: a recent keyed buyer sends the same key again (the same order back, or 409
--        when that order was cancelled meanwhile)
--   12.5 % pay and 12.5 % cancel of an order this thread was sold (each order is paid or cancelled once)
-- Answers are told apart by their bodies (wrk does not say which request an answer belongs to).
--   wrk ... -s bench/wrk/mixed.lua <url> -- <sale> <run>
package.path = "bench/wrk/?.lua;" .. package.path
local report = require("report")

local threads = {}
local next_id = 0
local NAMES = { "sent", "answered", "sentBuy", "sentRepeat", "sentRetry", "sentPay", "sentCancel",
  "newOrders", "replays", "paid", "cancelled", "conflicts" }
for _, n in ipairs(report.CLASSES) do NAMES[#NAMES + 1] = n end

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local RECENT = 1000

function init(args)
  sale = args[1] or "BENCH"
  run = args[2] or "m"
  c = {}
  for _, n in ipairs(NAMES) do c[n] = 0 end
  recent, keyed, orders = {}, {}, {}
  math.randomseed(1000 + tid)
  report.verify_expected(tid)
end

local function buy(user, key)
  local headers = key and { ["Idempotency-Key"] = key } or nil
  return wrk.format("GET", "/buy/ticket?sale=" .. sale .. "&user=" .. user, headers)
end

local function pick(list)
  if #list == 0 then return nil end
  return list[math.random(#list)]
end

function request()
  if report.is_verify_call() then return wrk.format("GET", "/bench-extra") end
  c.sent = c.sent + 1
  local r = math.random()
  if r >= 0.45 and r < 0.60 then
    local user = pick(recent)
    if user then c.sentRepeat = c.sentRepeat + 1; return buy(user, nil) end
  elseif r >= 0.60 and r < 0.75 then
    local user = pick(keyed)
    if user then c.sentRetry = c.sentRetry + 1; return buy(user, "k-" .. user) end
  elseif r >= 0.75 and #orders > 0 then
    local id = table.remove(orders)
    if r < 0.875 then c.sentPay = c.sentPay + 1; return wrk.format("POST", "/orders/" .. id .. "/pay") end
    c.sentCancel = c.sentCancel + 1
    return wrk.format("POST", "/orders/" .. id .. "/cancel")
  end
  c.sentBuy = c.sentBuy + 1
  local user = run .. "-" .. tid .. "-" .. c.sentBuy
  recent[((c.sentBuy - 1) % RECENT) + 1] = user
  local key = nil
  if c.sentBuy % 2 == 0 then
    key = "k-" .. user
    keyed[((c.sentBuy / 2 - 1) % RECENT) + 1] = user
  end
  return buy(user, key)
end

function response(status, headers, body)
  c.answered = c.answered + 1
  if status == 409 then c.conflicts = c.conflicts + 1; return end
  report.classify(c, status, body)
  if status ~= 200 or not string.find(body, '"code":1,', 1, true) then return end
  -- By msg first: a pay's answer carries the order, "replayed" field included, and is no new order.
  if string.find(body, '"msg":"paid"', 1, true) then
    c.paid = c.paid + 1
  elseif string.find(body, '"msg":"cancelled"', 1, true) then
    c.cancelled = c.cancelled + 1
  elseif string.find(body, '"replayed":false', 1, true) then
    c.newOrders = c.newOrders + 1
    local id = string.match(body, '"orderId":"([^"]+)"')
    if id and #orders < 10000 then orders[#orders + 1] = id end
  elseif string.find(body, '"replayed":true', 1, true) then
    c.replays = c.replays + 1
  end
end

function done(summary, latency, requests)
  report.done(threads, NAMES, summary, latency)
end
