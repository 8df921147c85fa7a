--[[
  Lets go of a buyer's Idempotency-Key claim, but only while it still names THIS sale: a claim that names
  another sale is that sale's (the buyer's key bought there), and deleting it would free the key for a second
  purchase. One key, so it runs on Redis Cluster whatever slot the claim is in.

  Input:
    KEYS[1] ts:idemkey:<user> <key>   (src/redis/keys.ts buyerKeyClaim)
    ARGV[1] saleId
  Output: 1 deleted, 0 left alone (absent, or it names another sale)
    {-11 INVALID_ARGUMENT, 'saleId'}
]]
--@include "includes/common.lua"

if not isSaleId(ARGV[1]) then return {C.INVALID_ARGUMENT, 'saleId'} end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
