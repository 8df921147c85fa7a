--[[
  Ends a sale now: closesAt = Redis TIME, so every purchase from now on is -3 (not open) — on the nodes from
  shared memory once their reconciler has read it (--reconcile-ms), in reserve-batch at once. Holds already
  made keep their deadline: they are still paid, cancelled or expired as in a sale closed on schedule.

  Input:
    KEYS[1] {sale:S}:meta      hash; this script writes only its field `closesAt`

  Output:
    {1, closesAt}              closed now (closesAt = Redis TIME, ms)
    {2, closesAt}              already closed (its closesAt has passed): nothing written
    {-5 UNKNOWN_SALE, ''}      nothing written
    {-11 INVALID_ARGUMENT, 'argument count'}   nothing written

  The sale registry's place ({ts:registry}:places) lives in another Cluster slot: src/sale/operations.ts moves
  it to closesAt + REGISTRY_GRACE_MS after this script (never earlier, so a place never frees before its
  sale has closed; closing again repeats that step). A sale that had not opened yet keeps its opensAt:
  closesAt <= opensAt is an empty window, and the sale reads as closed.
]]
--@include "includes/common.lua"

if #ARGV ~= 0 then return {C.INVALID_ARGUMENT, 'argument count'} end
local m = redis.call('HMGET', KEYS[1], 'total', 'closesAt')
if not m[1] then return {C.UNKNOWN_SALE, ''} end
local closesAt = tonumber(m[2]) or 0
local now = nowMs()
if closesAt ~= 0 and now >= closesAt then return {C.EXISTS, closesAt} end

-- Validated; the one write.
redis.call('HSET', KEYS[1], 'closesAt', fmt(now))
return {C.OK, now}
