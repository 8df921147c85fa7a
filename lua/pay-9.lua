--[[
  Pays a live hold. Idempotent: paying a paid order returns it unchanged — so a payment system's callback
  that timed out (503) and is sent again, or a call ioredis re-sends after a reconnect, pays at most once and
  then hears "paid".

  Input:
    KEYS[1] {sale:S}:meta       KEYS[2] {sale:S}:holders
    KEYS[3] {sale:S}:orders     KEYS[4] {sale:S}:stream
    KEYS[5] {sale:S}:paysig:<hex>   the signed callback's record (src/redis/keys.ts paymentSignatureKey), or
                                {sale:S}:paysig:- when the call carries no signature (never written)
    KEYS[6] {sale:S}:seats      KEYS[7] {sale:S}:free       KEYS[8] {sale:S}:stretch
    KEYS[9] {sale:S}:items      a train order (includes/seats.lua): paid and held move by its seat-segments, and
                                a hold expired on the spot gives its seats back
    ARGV[1] orderId             "<saleId>.<unique>"
    ARGV[2] signature           64 hex characters of the callback's Payment-Signature, or '' (admin, demo)
    ARGV[3] record TTL (s)      1..86400: how long a used signature is remembered (longer than it is valid)
  The signature's use is recorded HERE, in the script that pays, and only when it pays: a callback whose pay
  did not happen (a timeout, Redis away) is accepted again, and one that did is answered "paid" with
  replayed 1. The deadline entry is per batch (includes/deadlines.lua) and stays: the sweep skips orders not
  'held'. A change appends one event entry (includes/events.lua): `ev paid <orderId> <user>`, or
  `ev expired ...` for an expiry on the spot; a call that changes nothing writes nothing.

  Output: {code, encodedOrder, changed, replayed, item}   (encodedOrder as in includes/order.lua, after the call;
                                replayed 1 when this signature paid the order before; item a train order's
                                seats "<from>|<to>|<seat>,...", '' for a counter order)
     1  paid (changed 1) or already paid (changed 0)
    -8  HOLD_EXPIRED: the hold's deadline passed. A hold not yet swept is expired here, on the spot
        (status expired, held - 1, the user's count - 1): changed 1. No grace: the seat may be sold again
        from that instant, so the payment must be refunded
    -9  ORDER_CANCELLED
    {-7 ORDER_NOT_FOUND, ''}   {-11 INVALID_ARGUMENT, 'orderId' | 'signature' | 'signatureTtl' | 'stream' |
    'signature record'}
    nothing written
  An order retired by lua/retire-orders-5.lua (final, in PostgreSQL) is ORDER_NOT_FOUND here.
  A hold is live while Redis TIME < expiresAt.
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/events.lua"
--@include "includes/seats.lua"

local oid, sig = ARGV[1], ARGV[2]
if sig ~= '' and not string.match(sig, '^' .. string.rep('[0-9a-f]', 64) .. '$') then return {C.INVALID_ARGUMENT, 'signature'} end
local sigTtl = toInt(ARGV[3])
if not sigTtl or sigTtl < 1 or sigTtl > 86400 then return {C.INVALID_ARGUMENT, 'signatureTtl'} end
local enc, o = readOrder(KEYS[3], oid)
if not enc then return o end
if o.status == 'paid' then
  local again = sig ~= '' and redis.call('GET', KEYS[5]) == oid
  return {C.OK, enc, 0, again and 1 or 0, redis.call('HGET', KEYS[9], oid) or ''}
end
if o.status == 'cancelled' then return {C.ORDER_CANCELLED, enc, 0, 0} end
if o.status == 'expired' then return {C.HOLD_EXPIRED, enc, 0, 0} end
if not streamWritable(KEYS[4]) then return {C.INVALID_ARGUMENT, 'stream'} end
local sigType = redis.call('TYPE', KEYS[5]).ok
if sigType ~= 'none' and sigType ~= 'string' then return {C.INVALID_ARGUMENT, 'signature record'} end

local held = orderUnits(KEYS[1], KEYS[9], oid)
if not held then return {C.INVALID_ARGUMENT, 'order item'} end
local now = nowMs()
redis.call('HINCRBY', KEYS[1], 'held', -held.units)
if now >= o.expiresAt then
  o.status = 'expired'
  releaseHolder(KEYS[2], o.user, held.passengers)
  releaseOrderSeats(KEYS[1], {seats = KEYS[6], free = KEYS[7], stretch = KEYS[8]}, held)
  enc = encodeOrder(o)
  redis.call('HSET', KEYS[3], oid, enc)
  appendEvent(KEYS[4], 'expired', {oid, o.user})
  return {C.HOLD_EXPIRED, enc, 1, 0}
end
o.status = 'paid'
o.paidAt = now
enc = encodeOrder(o)
redis.call('HSET', KEYS[3], oid, enc)
redis.call('HINCRBY', KEYS[1], 'paid', held.units)
appendEvent(KEYS[4], 'paid', {oid, o.user})
if sig ~= '' then redis.call('SET', KEYS[5], oid, 'EX', sigTtl) end
return {C.OK, enc, 1, 0, held.item or ''}
