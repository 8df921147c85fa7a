--[[
  One node's tick of a sale's waiting room (src/node/main/queue-keeper.ts, every ~250 ms per node): it brings
  the places that node saw polled lately, opens the line at opensAt, and moves the serving position on at the
  admission rate, skipping the places nobody polls. Work per call: a few hash fields and a bitmap window — per
  node and tick, never per waiting buyer.

  Input:
    KEYS[1] {sale:S}:meta    total, held, paid, ordersMade, queue (includes/sale-fields.lua's JSON)
    KEYS[2] {sale:S}:queue   pre, late (queue-join-4) and this script's: key, served, admitted, skipped, carry,
                             lastMs, ripeTo, nextRipe, nextRipeAt, ordersAtOpen
    KEYS[3] {sale:S}:qlive0  KEYS[6] {sale:S}:qlive1   strings, bit p (Redis bit order, as GETBIT) = place p was
                             reported polled by some node in an even / odd LIVE_EPOCH_MS (the older of the two is
                             emptied as a new one begins): "polled lately" = reported in either, the last 5-10 s
    KEYS[4] {sale:S}:qhist   hash second -> "<admitted>|<ordersMade>|<served>" at that second ('auto' looks back with
                             it; a node that starts mid-sale dates the admissions of the last passSeconds with it)
    KEYS[5] {sale:S}:qadm    string, bit p = place p was admitted (a place below `served` without it was skipped)
    (KEYS[6]: above)
    ARGV[1] key       32 hex: the pre-queue's permutation key, written only by the first tick from opensAt on
    ARGV[2] base      a multiple of 8: the first place ARGV[3] speaks of
    ARGV[3] bits      the node's places polled lately, from base on (bit j of the string = place base + j)
    ARGV[4] since     the serving position this node last knew: the reply carries the admitted bits from it on

  The walk: from `served`, a place polled lately is admitted (one unit of the rate's budget), a place nobody
  polled is skipped — only once it is ripe: it has been inside the window every node reports for RIPE_MS, so a
  buyer who polls on time has been seen. An unripe silent place stops the walk: admission keeps the order of
  the places (no buyer is admitted before one ahead of them). The budget: admitPerSecond x elapsed (at most 2 s
  of it: a pause in ticks is not banked), or for 'auto' what the sale has left minus the passes still out
  (admitted in the last passSeconds and not bought), at most max(100, 2 x the orders made per second lately).
  Nothing is admitted while the sale has nothing left (a hold that expires brings it back) or is paused. Every
  queue key expires a day after the sale closes.

  Output: {served, admitted, skipped, pre, late, key or '', on, ratePerSecond, passSeconds, opensAt, nowMs,
    remaining, window, admittedFrom, admittedBits}: window = how many places from served on the nodes report;
    admittedBits = qadm's bytes (hex) for the places from admittedFrom (a multiple of 8, since rounded down, at most
    MAX_BACK places behind served) up to served.
    {'none'} no waiting room (or no sale).
]]
--@include "includes/common.lua"

local RIPE_MS, OPEN_RIPE_MS, MAX_WALK, HIST_KEEP, MAX_BACK, KEEP_AFTER_CLOSE_MS = 2000, 6000, 20000, 10, 524288, 86400000
local LIVE_EPOCH_MS = 5000

if #ARGV ~= 4 or not string.match(ARGV[1], '^%x+$') or #ARGV[1] ~= 32 then return {C.INVALID_ARGUMENT, 'key'} end
local base = toInt(ARGV[2])
if not base or base % 8 ~= 0 or #ARGV[3] > 65536 then return {C.INVALID_ARGUMENT, 'bits'} end
local since = toInt(ARGV[4])
if not since then return {C.INVALID_ARGUMENT, 'since'} end

local m = redis.call('HMGET', KEYS[1], 'queue', 'total', 'held', 'paid', 'ordersMade', 'paused', 'closesAt')
if not m[1] or m[1] == '' then return {'none'} end
local q = cjson.decode(m[1])
local remaining = tonumber(m[2]) - tonumber(m[3]) - tonumber(m[4])
local ordersMade = tonumber(m[5] or '0')
local paused, closesAt = m[6] == '1', tonumber(m[7] or '0')
local s = redis.call('HMGET', KEYS[2], 'pre', 'late', 'key', 'served', 'admitted', 'skipped', 'carry', 'lastMs',
  'ripeTo', 'nextRipe', 'nextRipeAt', 'ordersAtOpen', 'liveEpoch')
local pre, late, key = tonumber(s[1] or '0'), tonumber(s[2] or '0'), s[3] or ''
local served, admitted, skipped = tonumber(s[4] or '0'), tonumber(s[5] or '0'), tonumber(s[6] or '0')
local carry, lastMs = tonumber(s[7] or '0'), tonumber(s[8] or '0')
local ripeTo, nextRipe, nextRipeAt = tonumber(s[9] or '0'), tonumber(s[10] or '0'), tonumber(s[11] or '0')
local ordersAtOpen = tonumber(s[12] or '0')
local now = nowMs()
local sec = math.floor(now / 1000)

-- Reports age out: a node's bits say "polled in the last 30-60 s" (src/node/main/queue-keeper.ts), and a report
-- counts for one to two LIVE_EPOCH_MS here, so a buyer who polled once and left is not live for ever.
local liveEpoch = math.floor(now / LIVE_EPOCH_MS)
local storedEpoch = tonumber(s[13] or '0')
local liveKeys = {KEYS[3], KEYS[6]}
local curLive, prevLive = liveKeys[liveEpoch % 2 + 1], liveKeys[(liveEpoch + 1) % 2 + 1]
if liveEpoch ~= storedEpoch then
  -- The current generation's key still holds the reports of two epochs ago (or both are older still).
  if liveEpoch == storedEpoch + 1 then redis.call('DEL', curLive) else redis.call('DEL', curLive, prevLive) end
  redis.call('HSET', KEYS[2], 'liveEpoch', fmt(liveEpoch))
end

-- The node's bits: OR them in from `served` on (places behind it were decided).
local bits = ARGV[3]
local from = math.max(base, served - served % 8)
if #bits > 0 and from < base + #bits * 8 then
  local at = (from - base) / 8
  local chunk = string.sub(bits, at + 1)
  local old = redis.call('GETRANGE', curLive, from / 8, from / 8 + #chunk - 1)
  local out = {}
  for i = 1, #chunk do
    out[i] = string.char(bit.bor(string.byte(chunk, i), string.byte(old, i) or 0))
  end
  redis.call('SETRANGE', curLive, from / 8, table.concat(out))
end

-- What admission may go at, per second: the fixed rate, or for 'auto' a bound from what the sale sells lately.
local function ordersAt(back)
  for d = 0, 4 do
    local h = redis.call('HGET', KEYS[4], fmt(sec - back - d))
    if h then
      local a, o = string.match(h, '^(%d+)|(%d+)')
      return tonumber(a), tonumber(o)
    end
  end
  return 0, ordersAtOpen
end
local rate = q.r
if rate == 0 then
  local _, o5 = ordersAt(5)
  rate = math.max(100, 2 * (ordersMade - o5) / 5)
end
local window = math.max(256, math.min(65536, math.floor(rate * 20)))

local opened = now >= q.o
if opened and key == '' then
  -- The opening: the one write that fixes the pre-queue's order (its count is final: no pre-queue join from now).
  key = ARGV[1]
  ordersAtOpen = ordersMade
  -- Ripeness never runs past the line's end: a place that joins later is judged only after it has been polled for.
  lastMs, ripeTo, nextRipe, nextRipeAt = now, 0, math.min(window, pre + late), now + OPEN_RIPE_MS
  redis.call('HSET', KEYS[2], 'key', key, 'ordersAtOpen', fmt(ordersMade))
end

if opened and q.on == 1 then
  local dt = math.min(math.max(now - lastMs, 0), 2000)
  local budget = carry + rate * dt / 1000
  if q.r == 0 then
    local a0, o0 = ordersAt(q.p)
    local out = math.max(0, (admitted - a0) - (ordersMade - o0))
    budget = math.min(budget, remaining - out)
  end
  if remaining <= 0 or paused then budget, carry = 0, 0 end
  local lineEnd = pre + late
  local stop = math.min(lineEnd, served + MAX_WALK)
  local p = served
  local live = ''
  if p < stop and budget >= 1 then
    local a = redis.call('GETRANGE', curLive, math.floor(p / 8), math.floor((stop - 1) / 8))
    local b = redis.call('GETRANGE', prevLive, math.floor(p / 8), math.floor((stop - 1) / 8))
    local both = {}
    for i = 1, math.max(#a, #b) do both[i] = string.char(bit.bor(string.byte(a, i) or 0, string.byte(b, i) or 0)) end
    live = table.concat(both)
  end
  local first = math.floor(p / 8)
  local waiting = false
  local admits = {}           -- byte index (from `first`) -> the bits of the places admitted in it
  while p < stop and budget >= 1 do
    local i = math.floor(p / 8) - first + 1
    local mask = bit.rshift(128, p % 8)
    local byte = string.byte(live, i) or 0
    if bit.band(byte, mask) ~= 0 then
      admits[i] = bit.bor(admits[i] or 0, mask)
      admitted, budget, p = admitted + 1, budget - 1, p + 1
    elseif p < ripeTo then
      skipped, p = skipped + 1, p + 1
    else
      waiting = true
      break
    end
  end
  if next(admits) then
    -- The admitted places' bits, ORed into qadm over the bytes the walk crossed (one GETRANGE, one SETRANGE).
    local last = math.floor((p - 1) / 8)
    local old = redis.call('GETRANGE', KEYS[5], first, last)
    local out = {}
    for i = 1, last - first + 1 do out[i] = string.char(bit.bor(string.byte(old, i) or 0, admits[i] or 0)) end
    redis.call('SETRANGE', KEYS[5], first, table.concat(out))
  end
  served = p
  if paused then carry = 0
  elseif p >= lineEnd then carry = 0
  elseif waiting then carry = math.max(0, math.min(budget, rate))
  else carry = math.max(0, math.min(budget, 1)) end
  redis.call('HSET', KEYS[2], 'served', fmt(served), 'admitted', fmt(admitted), 'skipped', fmt(skipped),
    'carry', tostring(carry), 'lastMs', fmt(now))
elseif opened then
  redis.call('HSET', KEYS[2], 'lastMs', fmt(now), 'carry', '0')
end

if opened and now >= nextRipeAt then
  ripeTo, nextRipe, nextRipeAt = nextRipe, math.min(served + window, pre + late), now + RIPE_MS
  redis.call('HSET', KEYS[2], 'ripeTo', fmt(ripeTo), 'nextRipe', fmt(nextRipe), 'nextRipeAt', fmt(nextRipeAt))
end
if opened and redis.call('HSETNX', KEYS[4], fmt(sec), fmt(admitted) .. '|' .. fmt(ordersMade) .. '|' .. fmt(served)) == 1 then
  local old = sec - q.p - HIST_KEEP
  redis.call('HDEL', KEYS[4], fmt(old), fmt(old - 1), fmt(old - 2), fmt(old - 3))
  if closesAt > 0 then
    for k = 2, 6 do redis.call('PEXPIREAT', KEYS[k], closesAt + KEEP_AFTER_CLOSE_MS) end
  end
end

-- The admitted bits the node has not seen: from what it last knew (at most MAX_BACK places back).
local fromPlace = math.max(since, served - MAX_BACK, 0)
fromPlace = fromPlace - fromPlace % 8
local admittedBits = ''
if served > fromPlace then
  -- As hex: a reply string must survive the client's text decoding.
  local raw = redis.call('GETRANGE', KEYS[5], fromPlace / 8, math.floor((served - 1) / 8))
  local hex = {}
  for i = 1, #raw do hex[i] = string.format('%02x', string.byte(raw, i)) end
  admittedBits = table.concat(hex)
end

return {fmt(served), fmt(admitted), fmt(skipped), fmt(pre), fmt(late), key, fmt(q.on), fmt(math.floor(rate)), fmt(q.p),
  fmt(q.o), fmt(now), fmt(remaining), fmt(window), fmt(fromPlace), admittedBits}
