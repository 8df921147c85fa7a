--[[
  A node's heartbeat in the roster, and the roster as every node sees it: the one place the weighted split of
  the stock learns which nodes are alive and what each weighs (src/redis/node-roster.ts).

  Input:
    KEYS[1] {ts:nodes}:roster    hash  node id -> "<weight> <expiresAt ms> <address>"
    KEYS[2] {ts:nodes}:weights   hash  node id -> the operator's weight for it (`ticket-spike nodes weight`)
    ARGV[1] node id        1-64 of A-Z a-z 0-9 _ . : -
    ARGV[2] own weight     the node's --weight, 1..1000000: used while the operator set none for it
    ARGV[3] ttl ms         how long the entry counts without another beat, 100..600000; 0 = the node leaves now
    ARGV[4] address        host:port nginx reaches the node at, 1-200 characters without spaces

  Output:
    {1 OK, weight, totalWeight, nowMs, id1, weight1, expiresAt1, address1, ...}  the node's weight in effect, the
      sum over the live entries (this one included unless it left) and each live entry
    {-11 INVALID_ARGUMENT, '<argument>'}  nothing written

  Expiry is judged by Redis's clock, so nodes on hosts whose clocks disagree still agree on who is alive;
  an expired entry is removed here, lazily.
]]
--@include "includes/common.lua"

if #ARGV ~= 4 then return {C.INVALID_ARGUMENT, 'argument count'} end
local id = ARGV[1]
if type(id) ~= 'string' or #id < 1 or #id > 64 or not string.match(id, '^[%w_%.:%-]+$') then
  return {C.INVALID_ARGUMENT, 'node id'}
end
local ownWeight = toInt(ARGV[2])
if ownWeight == nil or ownWeight < 1 or ownWeight > 1000000 then return {C.INVALID_ARGUMENT, 'weight'} end
local ttl = toInt(ARGV[3])
if ttl == nil or (ttl ~= 0 and (ttl < 100 or ttl > 600000)) then return {C.INVALID_ARGUMENT, 'ttl'} end
local address = ARGV[4]
if #address < 1 or #address > 200 or string.find(address, '%s') then return {C.INVALID_ARGUMENT, 'address'} end

local now = nowMs()
local set = toInt(redis.call('HGET', KEYS[2], id))
local weight = (set ~= nil and set >= 1 and set <= 1000000) and set or ownWeight

-- Validated; the writes start here.
if ttl == 0 then
  redis.call('HDEL', KEYS[1], id)
else
  redis.call('HSET', KEYS[1], id, fmt(weight) .. ' ' .. fmt(now + ttl) .. ' ' .. address)
end

local out = {C.OK, weight, 0, now}
local total = 0
local expired = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local w, exp, addr = string.match(all[i + 1], '^(%d+) (%d+) (%S+)$')
  w, exp = tonumber(w), tonumber(exp)
  if w == nil or exp == nil or exp <= now then
    expired[#expired + 1] = all[i]
  else
    total = total + w
    out[#out + 1] = all[i]
    out[#out + 1] = w
    out[#out + 1] = exp
    out[#out + 1] = addr
  end
end
if #expired > 0 then redis.call('HDEL', KEYS[1], unpack(expired)) end
out[3] = total
return out
