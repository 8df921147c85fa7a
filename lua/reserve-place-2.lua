--[[
  Takes a place in the sale registry for a sale about to be created, or refuses: the one atomic decision
  of how many sales are live, so every node agrees (each can hold --max-sales >= capacity of them).

  Input:
    KEYS[1] {ts:registry}:places    zset sale id -> releaseAt (ms)
    KEYS[2] {ts:registry}:capacity  string
    ARGV[1] sale id        1-48 of A-Z a-z 0-9 _ -
    ARGV[2] releaseAt      ms since epoch when the place frees itself (closesAt + grace), 1..9999999999999;
                           0 = never (a sale without closesAt keeps its place)
    ARGV[3] capacity       the caller's --max-sales, 1..65536: stored as the capacity when none is yet;
                           refused when below the stored one (that caller could not hold every live sale)

  Output:
    {1, live, capacity}    placed (live counts this sale)
    {2, live, capacity}    the sale already had a live place: nothing changed
    {-15 REGISTRY_FULL, '<live>/<capacity>'}   nothing placed
    {-16 REGISTRY_CAPACITY, '<capacity>'}      nothing written
    {-11 INVALID_ARGUMENT, '<argument>'}       nothing written

  A place whose releaseAt has passed by Redis's clock belongs to a finished sale: it is removed here, lazily,
  before counting (the only write besides the new place and a first capacity).
]]
--@include "includes/common.lua"

if #ARGV ~= 3 then return {C.INVALID_ARGUMENT, 'argument count'} end
local sale = ARGV[1]
if not isSaleId(sale) then return {C.INVALID_ARGUMENT, 'saleId'} end
local releaseAt = toInt(ARGV[2])
if releaseAt == nil or releaseAt > 9999999999999 then return {C.INVALID_ARGUMENT, 'releaseAt'} end
local offered = toInt(ARGV[3])
if offered == nil or offered < 1 or offered > 65536 then return {C.INVALID_ARGUMENT, 'capacity'} end

local stored = toInt(redis.call('GET', KEYS[2]))
if stored ~= nil and offered < stored then return {C.REGISTRY_CAPACITY, fmt(stored)} end
local capacity = stored or offered

-- Validated; the writes start here.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(nowMs()))
if stored == nil then redis.call('SET', KEYS[2], fmt(capacity)) end
local live = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], sale) then return {2, live, capacity} end
if live >= capacity then return {C.REGISTRY_FULL, fmt(live) .. '/' .. fmt(capacity)} end
redis.call('ZADD', KEYS[1], releaseAt == 0 and '+inf' or fmt(releaseAt), sale)
return {C.OK, live + 1, capacity}
