--[[
  A buyer joins a sale's waiting room: once per buyer (a second join reads the first back), never a write for a
  buyer who joined before.

  Input:
    KEYS[1] {sale:S}:meta     the sale (meta `queue`: includes/sale-fields.lua's JSON)
    KEYS[2] {sale:S}:queue    the line's state: pre (pre-queue joiners), late (joiners after opensAt), ... (queue-tick-4)
    KEYS[3] {sale:S}:qjoin    hash user -> "<p|l>|<arrival>|<joinedAtMs>"
    ARGV[1] user               1-64 of [A-Za-z0-9_.:@-] (the input rules' USER)

  Output: {'ok', kind, arrival, joinedAtMs, pre, opensAt}
      kind 'p': joined before opensAt (the pre-queue): arrival is its index among the pre-queue's joiners; its place is
                fixed at opensAt by the keyed permutation (src/sale/queue-order.ts) over the final `pre` joiners
      kind 'l': joined from opensAt on: place = pre + arrival (pre is final from opensAt on: by Redis's clock no
                pre-queue join can happen after it)
    or {'unknown'} no such sale, {'none'} the sale has no waiting room, {'off'} an operator switched it off,
    {'closed'} the sale closed, {'early', preQueueFrom} joins are not taken yet.
]]
--@include "includes/common.lua"

if #ARGV ~= 1 then return {C.INVALID_ARGUMENT, 'argument count'} end
local user = ARGV[1]
if #user < 1 or #user > MAX_USER_LEN or string.find(user, USER_BAD_CHAR) then return {C.INVALID_ARGUMENT, 'user'} end

local m = redis.call('HMGET', KEYS[1], 'total', 'queue', 'closesAt')
if not m[1] then return {'unknown'} end
if not m[2] or m[2] == '' then return {'none'} end
local q = cjson.decode(m[2])
if q.on ~= 1 then return {'off'} end
local now = nowMs()
local closesAt = tonumber(m[3]) or 0
if closesAt ~= 0 and now >= closesAt then return {'closed'} end

local rec = redis.call('HGET', KEYS[3], user)
if not rec then
  if q.f ~= 0 and now < q.f then return {'early', fmt(q.f)} end
  local kind = now < q.o and 'p' or 'l'
  local arrival = redis.call('HINCRBY', KEYS[2], kind == 'p' and 'pre' or 'late', 1) - 1
  rec = kind .. '|' .. fmt(arrival) .. '|' .. fmt(now)
  redis.call('HSET', KEYS[3], user, rec)
end
local kind, arrival, joinedAt = string.match(rec, '^([pl])|(%d+)|(%d+)$')
local pre = redis.call('HGET', KEYS[2], 'pre') or '0'
return {'ok', kind, arrival, joinedAt, pre, fmt(q.o)}
