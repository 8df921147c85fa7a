--[[
  Releases due holds (deadline <= Redis TIME), at most ARGV[1] per call so the work per call is bounded.
  Each hold is released exactly once: only status 'held' moves to 'expired'; the deadline entry is removed
  in the same atomic step, so several nodes may run this at the same time.

  Input:
    KEYS[1] {sale:S}:meta       KEYS[2] {sale:S}:holders
    KEYS[3] {sale:S}:orders     KEYS[4] {sale:S}:deadlines
    ARGV[1] limit               1..1000

  Output: {expired, remaining, more}
    expired   holds released by this call
    remaining total - held - paid after it
    more      1 when further holds are already due (call again), else 0
    {-5 UNKNOWN_SALE, saleTag}   {-11 INVALID_ARGUMENT, 'limit'}   nothing written
]]
--@include "includes/common.lua"
--@include "includes/order.lua"

local limit = toInt(ARGV[1])
if not limit or limit < 1 or limit > 1000 then return {C.INVALID_ARGUMENT, 'limit'} end
local m = redis.call('HMGET', KEYS[1], 'total', 'held', 'paid')
if not m[1] then return {C.UNKNOWN_SALE, KEYS[1]} end
local total, held, paid = tonumber(m[1]), tonumber(m[2]), tonumber(m[3])

local now = nowMs()
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', fmt(now), 'LIMIT', 0, limit)
local count = 0
if #due > 0 then
  local orderArgs, perUser, users = {}, {}, {}
  for _, oid in ipairs(due) do
    local enc = redis.call('HGET', KEYS[3], oid)
    if enc then
      local o = decodeOrder(enc)
      if o.status == 'held' then
        o.status = 'expired'
        orderArgs[#orderArgs + 1] = oid
        orderArgs[#orderArgs + 1] = encodeOrder(o)
        if o.user ~= '' then
          if not perUser[o.user] then perUser[o.user] = 0; users[#users + 1] = o.user end
          perUser[o.user] = perUser[o.user] + 1
        end
        count = count + 1
      end
    end
  end
  redis.call('ZREM', KEYS[4], unpack(due))
  if count > 0 then
    redis.call('HSET', KEYS[3], unpack(orderArgs))
    redis.call('HINCRBY', KEYS[1], 'held', -count)
    held = held - count
    for _, user in ipairs(users) do releaseHolder(KEYS[2], user, perUser[user]) end
  end
end
local more = #redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', fmt(now), 'LIMIT', 0, 1)
return {count, total - held - paid, more}
