--[[
  Checks a paid order's ticket in at a gate, once. The first scan records who, when and where; every later
  scan of the same order — at any gate, on any node — gets that first record back. One ticket admits one
  person: a screenshot passed around admits nobody after the first.

  Input:
    KEYS[1] {sale:S}:meta       hash: checkedIn counts the sale's check-ins (the dashboard shows it)
    KEYS[2] {sale:S}:orders     KEYS[3] {sale:S}:checkins   hash orderId -> "<checkedInAt ms>|<gate>"
    KEYS[4] {sale:S}:stream
    ARGV[1] orderId             "<saleId>.<unique>"
    ARGV[2] gate                1-64 of [A-Za-z0-9_.:@-] (src/rules/input-rules.ts GATE)
    ARGV[3] paidSeen            '1': the caller read the order as paid (from Redis, or from PostgreSQL once it was
                                retired there). Paid is final, so an order no longer in Redis is still paid; an
                                order still in Redis is judged here by its record, atomically with the check-in.
    ARGV[4] user                the order's buyer as the caller read it ('' = anonymous), for the stream entry
                                of an order no longer in Redis (one still there names its own)

  The check-in record is kept in Redis for good (one short field per admitted ticket): it is what makes the
  second scan refused, and an order's own record leaves Redis once it is final (lua/retire-orders-5.lua).
  A first check-in appends `ev checkedin <orderId> <user>` (includes/events.lua): the order worker copies
  the record into PostgreSQL with the order (orders.checked_in_at, checked_in_gate).

  Output:
    {1, checkedInAt, gate}                   admitted now
    {-19 ALREADY_CHECKED_IN, checkedInAt, gate}   admitted before: the first scan's time and gate
    {-20 ORDER_NOT_PAID, status}             the order in Redis is held (not paid yet)
    {-9 ORDER_CANCELLED, ''}  {-8 HOLD_EXPIRED, ''}  {-7 ORDER_NOT_FOUND, ''}  {-5 UNKNOWN_SALE, saleId}
    {-11 INVALID_ARGUMENT, 'orderId' | 'gate' | 'paidSeen' | 'user' | 'order record' | 'KEYS[k] is a <type>'}
    nothing written
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/events.lua"

local oid, gate, paidSeen, seenUser = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local saleId = saleOfOrderId(oid)
if not saleId then return {C.INVALID_ARGUMENT, 'orderId'} end
if type(gate) ~= 'string' or #gate < 1 or #gate > MAX_USER_LEN or string.find(gate, USER_BAD_CHAR) then
  return {C.INVALID_ARGUMENT, 'gate'}
end
if paidSeen ~= '1' and paidSeen ~= '0' then return {C.INVALID_ARGUMENT, 'paidSeen'} end
if type(seenUser) ~= 'string' or #seenUser > MAX_USER_LEN or string.find(seenUser, USER_BAD_CHAR) then
  return {C.INVALID_ARGUMENT, 'user'}
end
local badType = wrongKeyType({'hash', 'hash', 'hash', 'stream'})
if badType then return badType end
if redis.call('EXISTS', KEYS[1]) == 0 then return {C.UNKNOWN_SALE, saleId} end

local first = redis.call('HGET', KEYS[3], oid)
if first then
  local bar = string.find(first, '|', 1, true)
  return {C.ALREADY_CHECKED_IN, string.sub(first, 1, bar - 1), string.sub(first, bar + 1)}
end

local user = seenUser
local enc = redis.call('HGET', KEYS[2], oid)
if enc then
  local o = decodeOrder(enc)
  if not o then return {C.INVALID_ARGUMENT, 'order record'} end
  if o.status == 'cancelled' then return {C.ORDER_CANCELLED, ''} end
  if o.status == 'expired' then return {C.HOLD_EXPIRED, ''} end
  if o.status ~= 'paid' then return {C.ORDER_NOT_PAID, o.status} end
  user = o.user
elseif paidSeen ~= '1' then
  return {C.ORDER_NOT_FOUND, ''}
end

local now = fmt(nowMs())
redis.call('HSET', KEYS[3], oid, now .. '|' .. gate)
redis.call('HINCRBY', KEYS[1], 'checkedIn', 1)
appendEvent(KEYS[4], 'checkedin', {oid, user})
return {C.OK, now, gate}
