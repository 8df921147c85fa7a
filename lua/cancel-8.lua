--[[
  Cancels a hold and returns its unit to the pool, exactly once. Idempotent: cancelling a cancelled
  order returns it unchanged.

  Input:
    KEYS[1] {sale:S}:meta       KEYS[2] {sale:S}:holders
    KEYS[3] {sale:S}:orders     KEYS[4] {sale:S}:stream
    KEYS[5] {sale:S}:seats      KEYS[6] {sale:S}:free       KEYS[7] {sale:S}:stretch
    KEYS[8] {sale:S}:items      a train sale's seat book and order seats (includes/seats.lua): a train order
                                gives back exactly its seats' segments, once, and held drops by its seat-segments
    ARGV[1] orderId
  The deadline entry is per batch (includes/deadlines.lua) and stays: the sweep skips orders not 'held'.
  A change appends one event entry (includes/events.lua): `ev cancelled <orderId> <user>`, or
  `ev expired ...` for an expiry on the spot; a call that changes nothing writes nothing.

  Output: {code, encodedOrder, changed}
      1  cancelled now (changed 1) or already cancelled (changed 0)
     -8  HOLD_EXPIRED: already expired, or its deadline passed and it is expired here on the spot (changed 1)
    -10  ORDER_PAID: a paid order cannot be cancelled (changed 0)
    {-7 ORDER_NOT_FOUND, ''}   {-11 INVALID_ARGUMENT, 'orderId' | 'stream'}   nothing written
  An order retired by lua/retire-orders-5.lua (final, in PostgreSQL) is ORDER_NOT_FOUND here.
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/events.lua"
--@include "includes/seats.lua"

local oid = ARGV[1]
local enc, o = readOrder(KEYS[3], oid)
if not enc then return o end
if o.status == 'cancelled' then return {C.OK, enc, 0} end
if o.status == 'paid' then return {C.ORDER_PAID, enc, 0} end
if o.status == 'expired' then return {C.HOLD_EXPIRED, enc, 0} end
if not streamWritable(KEYS[4]) then return {C.INVALID_ARGUMENT, 'stream'} end

local code = C.OK
if nowMs() >= o.expiresAt then
  o.status = 'expired'
  code = C.HOLD_EXPIRED
else
  o.status = 'cancelled'
end
local held = orderUnits(KEYS[1], KEYS[8], oid)
if not held then return {C.INVALID_ARGUMENT, 'order item'} end
-- Once, with the status change: a second cancel finds the order cancelled above and writes nothing.
releaseOrderSeats(KEYS[1], {seats = KEYS[5], free = KEYS[6], stretch = KEYS[7]}, held)
enc = encodeOrder(o)
redis.call('HSET', KEYS[3], oid, enc)
redis.call('HINCRBY', KEYS[1], 'held', -held.units)
releaseHolder(KEYS[2], o.user, held.passengers)
appendEvent(KEYS[4], o.status, {oid, o.user})
return {code, enc, 1}
