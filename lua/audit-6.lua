--[[
  Proves a sale's accounting from the orders themselves. Read only, atomic (one consistent snapshot).

  Cost: O(orders + stream entries + holders + idempotency records + deadlines) in one script, so it blocks
  Redis for its whole duration. Measured on the busy 2-core VM (bench/results/redis-batch.json, auditMs):
  about 10-16 us per order, i.e. ~0.1-0.2 s for a 10,000-ticket sale, ~1.5 s for 130,000 orders, ~7 s for
  440,000. Meant for the CLI (`ticket-spike audit`) and tests, during or after a sale; do not run it
  periodically on sales with hundreds of thousands of orders. The price buys an exact, atomic snapshot
  (a paged HSCAN/XRANGE audit from TS would race concurrent purchases and report false problems).

  Input:
    KEYS[1] {sale:S}:meta       KEYS[2] {sale:S}:holders    KEYS[3] {sale:S}:orders
    KEYS[4] {sale:S}:idem       KEYS[5] {sale:S}:deadlines  KEYS[6] {sale:S}:stream
    ARGV[1] maxProblems         1..1000, problems past this are counted, not listed

  Output: a JSON string {total, held, paid, countedHeld, countedPaid, cancelled, expired, orders,
    streamEntries, streamOrders, holders, problemCount, problems: [..]}
    held/paid are the counters in meta; countedHeld/countedPaid are counted from the orders.
    {-5 UNKNOWN_SALE, metaKey}   {-11 INVALID_ARGUMENT, 'maxProblems'}

  Checks: counters == counts from orders; held + paid <= total; counters >= 0; every user's holder count ==
  their held + paid orders and <= perUserLimit; every held order is covered by its batch's deadline entry
  (not yet swept past it) with a score equal to its expiresAt, every deadline entry names unswept orders of
  a stream entry, at most one per entry (entries whose orders were all paid or cancelled stay until the
  sweep reaches them: not a problem); every order is in the stream exactly once and the stream names no
  unknown order; every idempotency record ("<user> <key>") names an order of that user carrying that key.
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/deadlines.lua"

local maxProblems = toInt(ARGV[1])
if not maxProblems or maxProblems < 1 or maxProblems > 1000 then return {C.INVALID_ARGUMENT, 'maxProblems'} end
local m = redis.call('HMGET', KEYS[1], 'total', 'perUserLimit', 'held', 'paid')
if not m[1] then return {C.UNKNOWN_SALE, KEYS[1]} end
local total, limit, held, paid = tonumber(m[1]), tonumber(m[2]), tonumber(m[3]), tonumber(m[4])

local problems, problemCount = {}, 0
local function problem(msg)
  problemCount = problemCount + 1
  if #problems < maxProblems then problems[#problems + 1] = msg end
end

local counts = {held = 0, paid = 0, cancelled = 0, expired = 0}
local orders, nOrders = {}, 0
local live = {}           -- user -> held + paid orders
local flat = redis.call('HGETALL', KEYS[3])
for i = 1, #flat, 2 do
  local o = decodeOrder(flat[i + 1])
  if not o then
    problem('order ' .. flat[i] .. ' cannot be read: ' .. string.sub(flat[i + 1], 1, 60))
    o = {status = 'corrupt', user = '', idem = '', expiresAt = 0}
  end
  orders[flat[i]] = o
  nOrders = nOrders + 1
  if o.status == 'corrupt' then
    -- counted as a problem above
  elseif counts[o.status] == nil then
    problem('order ' .. flat[i] .. ' has unknown status ' .. o.status)
  else
    counts[o.status] = counts[o.status] + 1
  end
  if (o.status == 'held' or o.status == 'paid') and o.user ~= '' then live[o.user] = (live[o.user] or 0) + 1 end
end

if counts.held ~= held then problem('meta held=' .. held .. ' but ' .. counts.held .. ' orders are held') end
if counts.paid ~= paid then problem('meta paid=' .. paid .. ' but ' .. counts.paid .. ' orders are paid') end
if held < 0 or paid < 0 then problem('negative counter: held=' .. held .. ' paid=' .. paid) end
if counts.held + counts.paid > total then
  problem('oversold: ' .. (counts.held + counts.paid) .. ' held+paid orders for total ' .. total)
end

local nHolders = 0
flat = redis.call('HGETALL', KEYS[2])
for i = 1, #flat, 2 do
  local user, n = flat[i], parseHolder(flat[i + 1])
  nHolders = nHolders + 1
  if n ~= (live[user] or 0) then
    problem('holder ' .. user .. ' counted ' .. n .. ' but has ' .. (live[user] or 0) .. ' live orders')
  end
  if n > limit then problem('holder ' .. user .. ' holds ' .. n .. ' > limit ' .. limit) end
  live[user] = nil
end
for user, n in pairs(live) do problem('user ' .. user .. ' has ' .. n .. ' live orders but no holder entry') end

local seen, streamEntries, streamOrders = {}, 0, 0
local entries = redis.call('XRANGE', KEYS[6], '-', '+')
local entryOrders = {}    -- stream entry id -> its order ids, in order
for _, e in ipairs(entries) do
  streamEntries = streamEntries + 1
  local f = e[2]
  entryOrders[e[1]] = entryOrderIds(f)
  for i = 1, #f, 2 do
    if f[i] ~= 'b' then
      local oid, user = f[i], f[i + 1]
      streamOrders = streamOrders + 1
      seen[oid] = (seen[oid] or 0) + 1
      local o = orders[oid]
      if not o then
        problem('stream entry ' .. e[1] .. ' names unknown order ' .. oid)
      elseif o.user ~= user then
        problem('stream entry ' .. e[1] .. ' gives order ' .. oid .. ' another user')
      end
    end
  end
end
for oid, _ in pairs(orders) do
  local k = seen[oid] or 0
  if k ~= 1 then problem('order ' .. oid .. ' appears ' .. k .. ' times in the stream') end
end

-- Deadlines are per batch (includes/deadlines.lua): every held order must be covered by the deadline
-- entry of its stream entry, at or after that entry's resume point, with the same deadline.
flat = redis.call('ZRANGE', KEYS[5], 0, -1, 'WITHSCORES')
local covered, entryDeadlines = {}, {}
for i = 1, #flat, 2 do
  local member, score = flat[i], tonumber(flat[i + 1])
  local sid, done = parseDeadline(member)
  local oids = entryOrders[sid]
  if entryDeadlines[sid] then problem('stream entry ' .. sid .. ' has two deadline entries') end
  entryDeadlines[sid] = true
  if not oids or not done or done >= #oids then
    problem('deadline ' .. member .. ' names no unswept order of a stream entry')
  else
    for j = done + 1, #oids do
      local oid = oids[j]
      covered[oid] = true
      local o = orders[oid]
      if o and o.status == 'held' and o.expiresAt ~= score then
        problem('deadline ' .. member .. ' is ' .. fmt(score) .. ' but held order ' .. oid .. ' expires at ' .. fmt(o.expiresAt))
      end
    end
  end
end
for oid, o in pairs(orders) do
  if o.status == 'held' and not covered[oid] then problem('held order ' .. oid .. ' has no deadline') end
end

flat = redis.call('HGETALL', KEYS[4])
for i = 1, #flat, 2 do
  -- field "<user> <key>" (the key is scoped to its buyer), value "orderId|user"
  local field, rec = flat[i], flat[i + 1]
  local space = string.find(field, ' ', 1, true)
  local bar = string.find(rec, '|', 1, true)
  local oid, user = string.sub(rec, 1, bar - 1), string.sub(rec, bar + 1)
  local o = orders[oid]
  if not space then
    problem('idempotency record ' .. field .. ' is not "<user> <key>"')
  elseif not o then
    problem('idempotency key ' .. field .. ' names unknown order ' .. oid)
  elseif o.user ~= user or string.sub(field, 1, space - 1) ~= user or o.idem ~= string.sub(field, space + 1) then
    problem('idempotency key ' .. field .. ' does not match order ' .. oid)
  end
end

return cjson.encode({
  total = total, held = held, paid = paid, countedHeld = counts.held, countedPaid = counts.paid,
  cancelled = counts.cancelled, expired = counts.expired, orders = nOrders, streamEntries = streamEntries,
  streamOrders = streamOrders, holders = nHolders, problemCount = problemCount, problems = problems,
})
