--[[
  Retention: removes the sale stream's entries older than `minId` — and never an entry a hold deadline still
  names (expire-holds reads the orders of a due batch from its entry): the cut is at the lower of `minId` and
  a bound below every entry a deadline member names, found in O(log n) from the lowest deadline score alone.
  A batch's member has score = now + holdMs (reserve-batch's TIME) and names the entry XADD made in the same
  call, whose ms is at least that `now` (XADD takes max(clock, last id)); so every member names an entry at or
  above (its score - holdMs) >= (lowest score - holdMs). One second of margin covers a clock read a moment
  apart inside the script. Resume members ("<streamId>/<k>") keep their batch's score. (Reading every member
  instead cost 20 ms of Redis per call with ~40k live batches and stalled purchases:
  bench/stress/worker-impact.sh.) The order worker passes the oldest entry it has not yet
  acknowledged (the oldest pending one of its group, or the first not yet delivered); entries at or after the
  cut, and every entry written later, are kept. XTRIM MINID, exact.

  Input:
    KEYS[1] {sale:S}:meta       (holdSeconds)
    KEYS[2] {sale:S}:deadlines  KEYS[3] {sale:S}:stream
    ARGV[1] minId               a stream id "<ms>-<seq>"

  Output: {removed, cut}   removed = entries removed, cut = the id trimmed below ("<ms>-<seq>")
    {-11 INVALID_ARGUMENT, '<arg>'}   nothing written
  Cost: O(log deadlines) plus the entries removed.
]]
--@include "includes/common.lua"

-- "<ms>-<seq>" -> ms, seq (numbers), or nil
local function parseId(s)
  if type(s) ~= 'string' then return nil end
  local ms, seq = string.match(s, '^(%d+)%-(%d+)$')
  if not ms or #ms > 15 or #seq > 15 then return nil end
  return tonumber(ms), tonumber(seq)
end

local cutMs, cutSeq = parseId(ARGV[1])
if not cutMs then return {C.INVALID_ARGUMENT, 'minId'} end
local badType = wrongKeyType({'hash', 'zset', 'stream'})
if badType then return badType end

local lowest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #lowest == 2 then
  local holdMs = (tonumber(redis.call('HGET', KEYS[1], 'holdSeconds')) or 0) * 1000
  local boundMs = tonumber(lowest[2]) - holdMs - 1000
  if boundMs < cutMs then cutMs, cutSeq = math.max(boundMs, 0), 0 end
end
local cut = fmt(cutMs) .. '-' .. fmt(cutSeq)
if redis.call('EXISTS', KEYS[3]) == 0 then return {0, cut} end
return {redis.call('XTRIM', KEYS[3], 'MINID', '=', cut), cut}
