--[[
  Releases due holds (deadline <= Redis TIME) with bounded work per call. Deadlines are kept per batch
  (includes/deadlines.lua): a due entry names a batch's stream entry, and its orders still 'held' move to
  'expired' (held - 1, the user's count - 1). Only status 'held' is released, and the entry (or its resume
  point) is moved in the same atomic step, so each unit returns exactly once and several nodes may run
  this at the same time.

  Input:
    KEYS[1] {sale:S}:meta       KEYS[2] {sale:S}:holders
    KEYS[3] {sale:S}:orders     KEYS[4] {sale:S}:deadlines    KEYS[5] {sale:S}:stream
    KEYS[6] {sale:S}:seats      KEYS[7] {sale:S}:free         KEYS[8] {sale:S}:stretch
    KEYS[9] {sale:S}:items      a train sale's seat book and order seats (includes/seats.lua): an expired train
                                order gives back exactly its seats' segments, once; held drops by its seat-segments
                                and the user's count by its passengers
    ARGV[1] limit               1..1000

  Work per call: at most `limit` holds released and at most 4 x `limit` orders looked at (orders already
  paid, cancelled or expired are looked at and skipped); one ZRANGEBYSCORE, then per due batch one XRANGE
  of its stream entry and one HMGET of its orders; one HSET orders, one HINCRBY and one HGET/HSET per user
  at the end. A batch cut off by either bound keeps its deadline under "<streamId>/<k>" and the next call
  resumes at order k + 1. The holds it releases are named by one event entry, `ev expired <orderId> <user> ...`
  (includes/events.lua), appended with the other writes. A member that is an order id (a per-order deadline from before this layout,
  e.g. in an existing AOF) is swept as a batch of that one order.

  Output: {expired, remaining, more}
    expired   holds released by this call
    remaining total - held - paid after it
    more      1 when further due deadline entries remain (call again), else 0
    {-5 UNKNOWN_SALE, saleTag}   {-11 INVALID_ARGUMENT, 'limit' | 'stream'}   nothing written
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/deadlines.lua"
--@include "includes/events.lua"
--@include "includes/seats.lua"

local limit = toInt(ARGV[1])
if not limit or limit < 1 or limit > 1000 then return {C.INVALID_ARGUMENT, 'limit'} end
local m = redis.call('HMGET', KEYS[1], 'total', 'held', 'paid', 'kind', 'segments', 'seatKinds', 'coachStarts', 'coachClasses')
if not m[1] then return {C.UNKNOWN_SALE, KEYS[1]} end
local book = nil
if m[4] == 'train' then
  book = openSeatBook({seats = KEYS[6], free = KEYS[7], stretch = KEYS[8]},
    {segments = m[5], seatKinds = m[6], coachStarts = m[7], coachClasses = m[8]})
end
local releasedItems = {}            -- train: the items of the orders released
local units = 0                     -- what held drops by: holds (counter) or seat-segments (train)
local total, held, paid = tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
if not streamWritable(KEYS[5]) then return {C.INVALID_ARGUMENT, 'stream'} end

local now = fmt(nowMs())
local budget = 4 * limit            -- orders we may still look at
local count = 0                     -- holds released
local orderArgs, perUser, users = {}, {}, {}
local expiredPairs = {}             -- orderId, user of each hold released: the event entry
local dropped, resumed = {}, {}     -- deadline members to remove, and the resume points to add in their place
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
for d = 1, #due, 2 do
  if count >= limit or budget <= 0 then break end
  local member, score = due[d], due[d + 1]
  local sid, done = parseDeadline(member)
  if not done then return {C.INVALID_ARGUMENT, 'deadline ' .. member} end
  local oids
  if string.find(sid, '.', 1, true) then
    oids = {sid}                    -- a per-order deadline written before deadlines were per batch
  else
    local entry = redis.call('XRANGE', KEYS[5], sid, sid)[1]
    oids = entry and entryOrderIds(entry[2]) or {}
  end
  local last = math.min(#oids, done + budget)
  local stop = last                 -- orders of the entry handled after this call
  if last > done then
    local encs = redis.call('HMGET', KEYS[3], unpack(oids, done + 1, last))
    local items = book and redis.call('HMGET', KEYS[9], unpack(oids, done + 1, last)) or {}
    for j = done + 1, last do
      if count >= limit then stop = j - 1; break end
      local enc = encs[j - done]
      if enc and string.sub(enc, 1, 5) == 'held|' then
        local o = decodeOrder(enc)
        -- A record this script cannot read: refuse the whole call before anything is written.
        if not o then return {C.INVALID_ARGUMENT, 'order ' .. oids[j]} end
        o.status = 'expired'
        orderArgs[#orderArgs + 1] = oids[j]
        orderArgs[#orderArgs + 1] = encodeOrder(o)
        expiredPairs[#expiredPairs + 1] = oids[j]
        expiredPairs[#expiredPairs + 1] = o.user
        local need = 1
        if book then
          local item = items[j - done]
          local a, b, seats = parseItem(item)
          if not a then return {C.INVALID_ARGUMENT, 'order item ' .. oids[j]} end
          releasedItems[#releasedItems + 1] = item
          need = #seats
          units = units + #seats * (b - a)
        else
          units = units + 1
        end
        if o.user ~= '' then
          if not perUser[o.user] then perUser[o.user] = 0; users[#users + 1] = o.user end
          perUser[o.user] = perUser[o.user] + need
        end
        count = count + 1
      end
    end
  end
  budget = budget - math.max(0, stop - done)
  dropped[#dropped + 1] = member
  if stop < #oids then
    resumed[#resumed + 1] = score
    resumed[#resumed + 1] = sid .. '/' .. fmt(stop)
  end
end
-- Writes, once every due entry and order has been read and checked.
if #dropped > 0 then redis.call('ZREM', KEYS[4], unpack(dropped)) end
if #resumed > 0 then redis.call('ZADD', KEYS[4], unpack(resumed)) end
if count > 0 then
  redis.call('HSET', KEYS[3], unpack(orderArgs))
  if book then
    releaseItems(book, releasedItems)
    flushSeats(book, KEYS[1])
  end
  redis.call('HINCRBY', KEYS[1], 'held', -units)
  held = held - units
  for _, user in ipairs(users) do releaseHolder(KEYS[2], user, perUser[user]) end
  appendEvent(KEYS[5], 'expired', expiredPairs)
end
local more = #redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 1)
return {count, total - held - paid, more}
