--[[
  Buyers join a sale's waiting room: once per buyer (a second join reads the first back), never a write for a
  buyer who joined before. One call takes the joins a node's thread gathered in one turn (src/sale/queue-joins.ts).

  Input:
    KEYS[1] {sale:S}:meta     the sale (meta `queue`: includes/sale-fields.lua's JSON)
    KEYS[2] {sale:S}:queue    the line's state: pre (pre-queue joiners), late (joiners after opensAt), ... (queue-tick-4)
    KEYS[3] {sale:S}:qjoin    hash user -> "<p|l>|<arrival>|<joinedAtMs>"
    ARGV[1..n] users           1..512 of them, each 1-64 of [A-Za-z0-9_.:@-] (the input rules' USER)

  Output: one reply per user, in order: {'ok', kind, arrival, joinedAtMs, pre, opensAt}
      kind 'p': joined before opensAt (the pre-queue): arrival is its index among the pre-queue's joiners; its place is
                fixed at opensAt by the keyed permutation (src/sale/queue-order.ts) over the final `pre` joiners
      kind 'l': joined from opensAt on: place = pre + arrival (pre is final from opensAt on: by Redis's clock no
                pre-queue join can happen after it)
    or for every user alike {'unknown'} no such sale, {'none'} the sale has no waiting room, {'off'} an operator switched it off,
    {'closed'} the sale closed, {'early', preQueueFrom} joins are not taken yet.
]]
--@include "includes/common.lua"

if #ARGV < 1 or #ARGV > MAX_BATCH then return {C.INVALID_ARGUMENT, 'argument count'} end
for i = 1, #ARGV do
  local user = ARGV[i]
  if #user < 1 or #user > MAX_USER_LEN or string.find(user, USER_BAD_CHAR) then return {C.INVALID_ARGUMENT, 'user ' .. i} end
end

local function each(reply)
  local out = {}
  for i = 1, #ARGV do out[i] = reply end
  return out
end
local m = redis.call('HMGET', KEYS[1], 'total', 'queue', 'closesAt')
if not m[1] then return each({'unknown'}) end
if not m[2] or m[2] == '' then return each({'none'}) end
local q = cjson.decode(m[2])
if q.on ~= 1 then return each({'off'}) end
local now = nowMs()
local closesAt = tonumber(m[3]) or 0
if closesAt ~= 0 and now >= closesAt then return each({'closed'}) end
if q.f ~= 0 and now < q.f then return each({'early', fmt(q.f)}) end

local kind = now < q.o and 'p' or 'l'
local known = redis.call('HMGET', KEYS[3], unpack(ARGV))
local fresh, records = {}, {}
for i = 1, #ARGV do
  if not known[i] and not records[ARGV[i]] then
    fresh[#fresh + 1] = i
    records[ARGV[i]] = true
  end
end
-- The arrivals of this call's new joiners: one HINCRBY for all of them, in order.
local last = #fresh > 0 and redis.call('HINCRBY', KEYS[2], kind == 'p' and 'pre' or 'late', #fresh) or 0
local writes = {}
for j, i in ipairs(fresh) do
  local rec = kind .. '|' .. fmt(last - #fresh + j - 1) .. '|' .. fmt(now)
  records[ARGV[i]] = rec
  writes[#writes + 1] = ARGV[i]
  writes[#writes + 1] = rec
end
if #writes > 0 then redis.call('HSET', KEYS[3], unpack(writes)) end
local pre = redis.call('HGET', KEYS[2], 'pre') or '0'
local out = {}
for i = 1, #ARGV do
  local rec = known[i] or records[ARGV[i]]
  local k, arrival, joinedAt = string.match(rec, '^([pl])|(%d+)|(%d+)$')
  out[i] = {'ok', k, arrival, joinedAt, pre, fmt(q.o)}
end
return out
