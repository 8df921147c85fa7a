--[[
  The last step of `ticket-spike sale restore` (src/sale/restore.ts): writes a rebuilt sale's meta. A sale exists
  from its meta on (reserve-batch answers UNKNOWN_SALE without it), so the orders, holders, records, deadlines and
  log written before this call are served only once it succeeded — and never over a sale that exists now.

  Input:
    KEYS[1] {sale:S}:meta
    ARGV    field, value, ... (the meta of a sale: src/redis/keys.ts), 2..64 arguments

  Output:
     1  written
     2  EXISTS: the sale has a meta (made meanwhile, or never lost): nothing written
    {-11 INVALID_ARGUMENT, 'fields'}
]]
--@include "includes/common.lua"

if #ARGV < 2 or #ARGV > 64 or #ARGV % 2 ~= 0 then return {C.INVALID_ARGUMENT, 'fields'} end
if redis.call('EXISTS', KEYS[1]) == 1 then return C.EXISTS end
redis.call('HSET', KEYS[1], unpack(ARGV))
return C.OK
