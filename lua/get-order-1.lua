--[[
  Reads one order. Read only.

  Input:
    KEYS[1] {sale:S}:orders
    ARGV[1] orderId

  Output: {encodedOrder, nowMs} (includes/order.lua format; nowMs is Redis TIME so the caller can tell a
    held order whose deadline passed, not yet swept, from a live one without trusting its own clock),
    or nil when there is no such order. {-11 INVALID_ARGUMENT, 'orderId'} on a malformed id.
]]
--@include "includes/common.lua"

local oid = ARGV[1]
if not saleOfOrderId(oid) then return {C.INVALID_ARGUMENT, 'orderId'} end
local enc = redis.call('HGET', KEYS[1], oid)
if not enc then return nil end
return {enc, fmt(nowMs())}
