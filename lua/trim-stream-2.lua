--[[
  Retention: removes the sale stream's entries older than `minId` — and never an entry a hold deadline still
  names (expire-holds reads the orders of a due batch from its entry): the cut is at the lower of `minId` and
  the oldest stream id named by a deadline member. The order worker passes the oldest entry it has not yet
  acknowledged (the oldest pending one of its group, or the first not yet delivered); entries at or after the
  cut, and every entry written later, are kept. XTRIM MINID, exact.

  Input:
    KEYS[1] {sale:S}:deadlines  KEYS[2] {sale:S}:stream
    ARGV[1] minId               a stream id "<ms>-<seq>"

  Output: {removed, cut}   removed = entries removed, cut = the id trimmed below ("<ms>-<seq>")
    {-11 INVALID_ARGUMENT, '<arg>'}   nothing written
  Cost: O(deadline members) to find the oldest named entry (members of the sale's live batches), plus the
  entries removed.
]]
--@include "includes/common.lua"
--@include "includes/deadlines.lua"

-- "<ms>-<seq>" -> ms, seq (numbers), or nil
local function parseId(s)
  if type(s) ~= 'string' then return nil end
  local ms, seq = string.match(s, '^(%d+)%-(%d+)$')
  if not ms or #ms > 15 or #seq > 15 then return nil end
  return tonumber(ms), tonumber(seq)
end

local cutMs, cutSeq = parseId(ARGV[1])
if not cutMs then return {C.INVALID_ARGUMENT, 'minId'} end
local WANT = {'zset', 'stream'}
for k = 1, 2 do
  local t = redis.call('TYPE', KEYS[k]).ok
  if t ~= 'none' and t ~= WANT[k] then return {C.INVALID_ARGUMENT, 'KEYS[' .. k .. '] is a ' .. t} end
end

for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local sid = parseDeadline(member)
  local ms, seq = parseId(sid)
  -- A per-order member (an order id, from before deadlines were per batch) names no entry.
  if ms and (ms < cutMs or (ms == cutMs and seq < cutSeq)) then cutMs, cutSeq = ms, seq end
end
local cut = fmt(cutMs) .. '-' .. fmt(cutSeq)
if redis.call('EXISTS', KEYS[2]) == 0 then return {0, cut} end
return {redis.call('XTRIM', KEYS[2], 'MINID', '=', cut), cut}
