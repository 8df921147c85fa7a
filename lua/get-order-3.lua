--[[
  Reads one order; when it is absent, says enough about its sale for the caller to decide without PostgreSQL
  (src/sale/order-lookup.ts). Read only.

  Input:
    KEYS[1] {sale:S}:orders
    KEYS[2] {sale:S}:meta
    KEYS[3] {sale:S}:items      a train order's seats (includes/seats.lua)
    ARGV[1] orderId

  Output:
    {encodedOrder, nowMs, item}  the order (includes/order.lua format; nowMs is Redis TIME so the caller can tell
                           a held order whose deadline passed, not yet swept, from a live one without trusting
                           its own clock; item a train order's seats "<from>|<to>|<seat>,...", '' for a counter)
    {-7 ORDER_NOT_FOUND, saleExists, idKey, retired}  no such order in Redis: saleExists 1 | 0 (the meta hash
                           has a total); idKey the sale's order-id key, '' for a legacy sale (or no sale);
                           retired = meta retiredPaid + retiredCancelled + retiredExpired, the orders that ever
                           left Redis (lua/retire-orders-5.lua: final and in PostgreSQL). Read in one call, so
                           retired counts every order that was gone when the order was found absent.
    {-11 INVALID_ARGUMENT, 'orderId'}  a malformed id
]]
--@include "includes/common.lua"

local oid = ARGV[1]
if not saleOfOrderId(oid) then return {C.INVALID_ARGUMENT, 'orderId'} end
local enc = redis.call('HGET', KEYS[1], oid)
if enc then return {enc, fmt(nowMs()), redis.call('HGET', KEYS[3], oid) or ''} end
local m = redis.call('HMGET', KEYS[2], 'total', 'idKey', 'retiredPaid', 'retiredCancelled', 'retiredExpired')
if not m[1] then return {C.ORDER_NOT_FOUND, 0, '', 0} end
local retired = (toInt(m[3]) or 0) + (toInt(m[4]) or 0) + (toInt(m[5]) or 0)
return {C.ORDER_NOT_FOUND, 1, m[2] or '', retired}
