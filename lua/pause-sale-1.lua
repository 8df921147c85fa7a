--[[
  Pauses or resumes a sale: while paused, reserve-batch answers every new purchase -3 (not open), as outside
  its window; orders already made are paid, cancelled and expired as before. Nodes read the flag with the
  sale's status every --reconcile-ms and answer -3 from shared memory (src/node/main/open-flags.ts).

  Input:
    KEYS[1] {sale:S}:meta      hash; this script writes only its field `paused` ('1' | '0')
    ARGV[1] paused             '1' pause | '0' resume

  Output:
    {1, nowMs}                 changed (nowMs: Redis TIME)
    {2, nowMs}                 already so: nothing written (pausing a paused sale, resuming a running one)
    {-5 UNKNOWN_SALE, ''}      nothing written
    {-17 SALE_CLOSED, '<closesAt>'}  the sale's closesAt has passed by Redis's clock: a closed sale is
                               neither paused nor resumed (nothing written)
    {-11 INVALID_ARGUMENT, 'paused' | 'argument count'}   nothing written

  A scheduled sale (before opensAt) may be paused: it then stays not open past opensAt until resumed.
]]
--@include "includes/common.lua"

if #ARGV ~= 1 then return {C.INVALID_ARGUMENT, 'argument count'} end
local want = ARGV[1]
if want ~= '1' and want ~= '0' then return {C.INVALID_ARGUMENT, 'paused'} end

local m = redis.call('HMGET', KEYS[1], 'total', 'closesAt', 'paused')
if not m[1] then return {C.UNKNOWN_SALE, ''} end
local closesAt = tonumber(m[2]) or 0
local now = nowMs()
if closesAt ~= 0 and now >= closesAt then return {C.SALE_CLOSED, fmt(closesAt)} end
local paused = m[3] == '1' and '1' or '0'
if paused == want then return {C.EXISTS, now} end

-- Validated; the one write.
redis.call('HSET', KEYS[1], 'paused', want)
return {C.OK, now}
