--[[
  Pays a live hold. Idempotent: paying a paid order returns it unchanged.

  Input:
    KEYS[1] {sale:S}:meta       KEYS[2] {sale:S}:holders
    KEYS[3] {sale:S}:orders     KEYS[4] {sale:S}:stream
    ARGV[1] orderId             "<saleId>.<unique>"
  The deadline entry is per batch (includes/deadlines.lua) and stays: the sweep skips orders not 'held'.
  A change appends one event entry (includes/events.lua): `ev paid <orderId> <user>`, or `ev expired ...`
  for an expiry on the spot; a call that changes nothing writes nothing.

  Output: {code, encodedOrder, changed}   (encodedOrder as in includes/order.lua, after the call)
     1  paid (changed 1) or already paid (changed 0)
    -8  HOLD_EXPIRED: the hold's deadline passed. A hold not yet swept is expired here, on the spot
        (status expired, held - 1, the user's count - 1): changed 1
    -9  ORDER_CANCELLED
    {-7 ORDER_NOT_FOUND, ''}   {-11 INVALID_ARGUMENT, 'orderId' | 'stream'}   nothing written
  An order retired by lua/retire-orders-4.lua (final, in PostgreSQL) is ORDER_NOT_FOUND here.
  A hold is live while Redis TIME < expiresAt.
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/events.lua"

local oid = ARGV[1]
local enc, o = readOrder(KEYS[3], oid)
if not enc then return o end
if o.status == 'paid' then return {C.OK, enc, 0} end
if o.status == 'cancelled' then return {C.ORDER_CANCELLED, enc, 0} end
if o.status == 'expired' then return {C.HOLD_EXPIRED, enc, 0} end
if not streamWritable(KEYS[4]) then return {C.INVALID_ARGUMENT, 'stream'} end

local now = nowMs()
redis.call('HINCRBY', KEYS[1], 'held', -1)
if now >= o.expiresAt then
  o.status = 'expired'
  releaseHolder(KEYS[2], o.user, 1)
  enc = encodeOrder(o)
  redis.call('HSET', KEYS[3], oid, enc)
  appendEvent(KEYS[4], 'expired', {oid, o.user})
  return {C.HOLD_EXPIRED, enc, 1}
end
o.status = 'paid'
o.paidAt = now
enc = encodeOrder(o)
redis.call('HSET', KEYS[3], oid, enc)
redis.call('HINCRBY', KEYS[1], 'paid', 1)
appendEvent(KEYS[4], 'paid', {oid, o.user})
return {C.OK, enc, 1}
