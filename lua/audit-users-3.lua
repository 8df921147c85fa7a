#!lua flags=no-writes
--[[
  Audit, holders pass: for a few users, their holder entry against the orders the caller found for them in
  the stream, in this call's atomic view. Read only; the caller keeps each call to about 1,000 orders.

  Why it is exact while purchases go on: a holder entry "n|latest" names the user's most recent order
  (reserve-batch sets it with every new hold, in the same script as the order and its stream entry). The
  stream is read in order, so when `latest` is among the orders the caller passes, the caller knows every
  order of the user and their live (held + paid) count is compared here, atomically, with n. When it is
  not, the user bought after the caller's stream pass: the user is returned as moving, and the caller reads
  the stream on and asks again. With no holder entry, any live order among those passed is a problem.

  Input:
    KEYS[1] {sale:S}:meta       KEYS[2] {sale:S}:holders       KEYS[3] {sale:S}:orders
    ARGV[1] maxProblems         1..1000 listed per call (more are counted)
    ARGV[2] u                   1..1000 users
    then per user: the user, k (0..100000), then k order ids (the user's orders in the stream)

  Output: JSON {users, moving: [user, ...], problemCount, problems}
    {-5 UNKNOWN_SALE, metaKey}   {-11 INVALID_ARGUMENT, '<arg>'}

  After retention (lua/retire-orders-5.lua) a holder's count also covers its retired paid orders, which have
  left Redis, and its latest may name a retired order: while the sale has retired paid orders the check is
  n >= the live orders found (not ==); a latest that is gone is taken as retired when the sale has retired
  orders.

  Checks per user: holder n == the user's held + paid orders, n <= perUserLimit, the entry reads and its
  latest order is an order of the user; no live orders without an entry.
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/audit.lua"

local _, bad = auditArgs('1', ARGV[1])
if bad then return {C.INVALID_ARGUMENT, bad} end
local u = toInt(ARGV[2])
if not u or u < 1 or u > 1000 then return {C.INVALID_ARGUMENT, 'users'} end
-- Every user's slice of ARGV, checked before anything is read.
local users, at = {}, 3
for i = 1, u do
  local user, k = ARGV[at], toInt(ARGV[at + 1])
  if not user or #user < 1 or #user > MAX_USER_LEN then return {C.INVALID_ARGUMENT, 'users[' .. (i - 1) .. ']'} end
  if not k or k > 100000 or at + 1 + k > #ARGV then return {C.INVALID_ARGUMENT, 'users[' .. (i - 1) .. '].count'} end
  users[i] = {user = user, from = at + 2, k = k}
  at = at + 2 + k
end
if at ~= #ARGV + 1 then return {C.INVALID_ARGUMENT, 'argument count'} end
local mm = redis.call('HMGET', KEYS[1], 'perUserLimit', 'retiredPaid', 'retiredCancelled', 'retiredExpired')
local limit = tonumber(mm[1])
if not limit then return {C.UNKNOWN_SALE, KEYS[1]} end
local retiredPaid = tonumber(mm[2] or '0')
local retiredAny = retiredPaid + tonumber(mm[3] or '0') + tonumber(mm[4] or '0')
local function compare(user, n, live)
  if n == live or (retiredPaid > 0 and n > live) then return end
  problem('holder ' .. user .. ' counted ' .. fmt(n) .. ' but has ' .. fmt(live) .. ' live orders')
end

local moving = {}
for _, e in ipairs(users) do
  local user = e.user
  local known, live = {}, 0
  for s = e.from, e.from + e.k - 1, 1000 do
    local last = math.min(s + 999, e.from + e.k - 1)
    local encs = redis.call('HMGET', KEYS[3], unpack(ARGV, s, last))
    for j = s, last do
      known[ARGV[j]] = true
      local enc = encs[j - s + 1]
      local st = enc and string.sub(enc, 1, 5)
      if st == 'held|' or st == 'paid|' then live = live + 1 end
    end
  end
  local raw = redis.call('HGET', KEYS[2], user)
  if raw then
    local bar = string.find(raw, '|', 1, true)
    local n = bar and toInt(string.sub(raw, 1, bar - 1))
    local latest = bar and string.sub(raw, bar + 1)
    if not n then
      problem('holder ' .. user .. ' cannot be read: ' .. string.sub(raw, 1, 60))
    else
      if n > limit then problem('holder ' .. user .. ' holds ' .. fmt(n) .. ' > limit ' .. fmt(limit)) end
      if known[latest] then
        compare(user, n, live)
      else
        local enc = redis.call('HGET', KEYS[3], latest)
        local o = enc and decodeOrder(enc)
        if not enc and retiredAny > 0 then
          compare(user, n, live)      -- latest retired: no newer order of the user exists
        elseif not o or o.user ~= user then
          problem('holder ' .. user .. ' names order ' .. latest .. ', not an order of ' .. user)
        else
          moving[#moving + 1] = user
        end
      end
    end
  elseif live > 0 then
    problem('user ' .. user .. ' has ' .. fmt(live) .. ' live orders but no holder entry')
  end
end

return auditReply({users = u, moving = moving})
