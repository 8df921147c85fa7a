--[[
  Buyers join a sale's waiting room: once per buyer (a second join reads the first back), never a write for a
  buyer who joined before. One call takes the joins a node's thread gathered in one turn (src/sale/queue-joins.ts).
  A buyer whose place was skipped (they were not polling when the line reached it) may join again: they line up
  at the back, as a late joiner.

  Input:
    KEYS[1] {sale:S}:meta     the sale (meta `queue`: includes/sale-fields.lua's JSON; total, closesAt)
    KEYS[2] {sale:S}:queue    the line's state: pre (pre-queue joiners), late (joiners after opensAt), served (queue-tick-6)
    KEYS[3] {sale:S}:qjoin    hash user -> "<p|l>|<arrival>|<joinedAtMs>"
    KEYS[4] {sale:S}:qadm     string, bit p = place p was admitted (queue-tick-6)
    ARGV[1..n]                1..512 joins, each "<user>" or "<user> <place>": the second form asks to line up again
                              because the node found that place — the user's, computed from their record — skipped;
                              user: 1-64 of [A-Za-z0-9_.:@-] (the input rules' USER)

  Output: one reply per join, in order: {'ok', kind, arrival, joinedAtMs, pre, opensAt, fresh}
      kind 'p': joined before opensAt (the pre-queue): arrival is its index among the pre-queue's joiners; its place is
                fixed at opensAt by the keyed permutation (src/sale/queue-order.ts) over the final `pre` joiners
      kind 'l': joined from opensAt on: place = pre + arrival (pre is final from opensAt on: by Redis's clock no
                pre-queue join can happen after it)
      fresh '1': this call made the record (a first join, or a line-up again), '0': it was there
    or {'full', max} the line holds max(10000, 200 x total) places already (a new buyer only);
    or for every join alike {'unknown'} no such sale, {'none'} the sale has no waiting room, {'off'} an operator
    switched it off, {'closed'} the sale closed, {'early', preQueueFrom} joins are not taken yet.
  A line-up again is refused (the record read back, fresh '0') unless the place is below the serving position, its
  admitted bit is clear, and it is the user's own (a late record's place is pre + arrival; a pre-queue record's is the
  permutation's, which only the nodes compute).
  The records expire a day after the sale closes.
]]
--@include "includes/common.lua"

local KEEP_AFTER_CLOSE_MS = 86400000
if #ARGV < 1 or #ARGV > MAX_BATCH then return {C.INVALID_ARGUMENT, 'argument count'} end
local users, again = {}, {}
for i = 1, #ARGV do
  local user, place = string.match(ARGV[i], '^(%S+) (%d+)$')
  if not user then user = ARGV[i] end
  if #user < 1 or #user > MAX_USER_LEN or string.find(user, USER_BAD_CHAR) then return {C.INVALID_ARGUMENT, 'user ' .. i} end
  users[i], again[i] = user, place and tonumber(place)
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
local maxLine = math.max(10000, 200 * tonumber(m[1]))

local kind = now < q.o and 'p' or 'l'
local known = redis.call('HMGET', KEYS[3], unpack(users))
local st = redis.call('HMGET', KEYS[2], 'pre', 'late', 'served')
local pre, late, served = tonumber(st[1] or '0'), tonumber(st[2] or '0'), tonumber(st[3] or '0')
local records, fresh = {}, {}
local function arrive(i, k)
  if k == 'p' then pre = pre + 1 else late = late + 1 end
  records[users[i]] = k .. '|' .. fmt(k == 'p' and pre - 1 or late - 1) .. '|' .. fmt(now)
  fresh[i] = true
end
for i = 1, #ARGV do
  local rec = records[users[i]] or known[i]
  if not rec then
    if pre + late >= maxLine then
      records[users[i]] = false
    else
      arrive(i, kind)
    end
  elseif again[i] and records[users[i]] == nil then
    -- A line-up again: only for the user's own place, passed and not admitted.
    local k, arrival = string.match(rec, '^([pl])|(%d+)|')
    local own = k == 'p' or tonumber(arrival) + pre == again[i]
    if own and again[i] < served and redis.call('GETBIT', KEYS[4], again[i]) == 0 and kind == 'l' then
      arrive(i, 'l')
    end
  end
end
local writes = {}
for i = 1, #ARGV do
  if fresh[i] then
    writes[#writes + 1] = users[i]
    writes[#writes + 1] = records[users[i]]
  end
end
if #writes > 0 then
  redis.call('HSET', KEYS[3], unpack(writes))
  redis.call('HSET', KEYS[2], 'pre', fmt(pre), 'late', fmt(late))
  if closesAt ~= 0 then redis.call('PEXPIREAT', KEYS[3], closesAt + KEEP_AFTER_CLOSE_MS) end
end
local out = {}
for i = 1, #ARGV do
  local rec = records[users[i]]
  if rec == nil then rec = known[i] end
  if rec == false then
    out[i] = {'full', fmt(maxLine)}
  else
    local k, arrival, joinedAt = string.match(rec, '^([pl])|(%d+)|(%d+)$')
    out[i] = {'ok', k, arrival, joinedAt, fmt(pre), fmt(q.o), fresh[i] and '1' or '0'}
  end
end
return out
