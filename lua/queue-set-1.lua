--[[
  An operator's change to a sale's waiting room: on/off and the admission rate. A sale without one gets one that
  opens now — or when the sale opens, if later: a line admitting before the sale would hand out passes that only
  buy "not open" — with no pre-queue before now, and the default pass of 120 s.

  Input:
    KEYS[1] {sale:S}:meta
    ARGV[1] on     '1' | '0' | '' (unchanged)
    ARGV[2] rate   1..100000 | 'auto' | '' (unchanged)

  Output: {1, queueJson} changed, {2, queueJson} already so (nothing written), {-5 UNKNOWN_SALE, ''},
    {-17 SALE_CLOSED, closesAt}, {-6 ANONYMOUS_NOT_ALLOWED, ''} (a pass is bound to a named buyer),
    {-11 INVALID_ARGUMENT, 'on' | 'rate' | 'argument count'}; nothing written on an error.
]]
--@include "includes/common.lua"

if #ARGV ~= 2 then return {C.INVALID_ARGUMENT, 'argument count'} end
local on, rate = ARGV[1], ARGV[2]
if on ~= '1' and on ~= '0' and on ~= '' then return {C.INVALID_ARGUMENT, 'on'} end
local r = nil
if rate == 'auto' then r = 0
elseif rate ~= '' then
  r = toInt(rate)
  if not r or r < 1 or r > 100000 then return {C.INVALID_ARGUMENT, 'rate'} end
end

local m = redis.call('HMGET', KEYS[1], 'total', 'queue', 'closesAt', 'anonymous', 'opensAt')
if not m[1] then return {C.UNKNOWN_SALE, ''} end
local now = nowMs()
local closesAt = tonumber(m[3]) or 0
if closesAt ~= 0 and now >= closesAt then return {C.SALE_CLOSED, fmt(closesAt)} end
if m[4] == '1' then return {C.ANONYMOUS_NOT_ALLOWED, ''} end
local q
if m[2] and m[2] ~= '' then q = cjson.decode(m[2]) else q = {o = math.max(now, tonumber(m[5]) or 0), f = 0, r = 0, p = 120, on = 1} end
local before = cjson.encode(q)
if on ~= '' then q.on = tonumber(on) end
if r then q.r = r end
local after = cjson.encode(q)
if m[2] and m[2] ~= '' and before == after then return {C.EXISTS, m[2]} end
redis.call('HSET', KEYS[1], 'queue', after)
return {C.OK, after}
