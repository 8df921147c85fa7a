--[[
  The baselines' purchase (bench/baselines/typical.ts and article.ts): one script per purchase that does what
  a typical flash-sale backend does in Redis — check the per-user limit and the stock, record the order and
  append it to a stream — so that the comparison with ticket-spike's reserve-batch is like for like: same
  durability (the same redis-server flags), same records per purchase, one script call instead of one per batch.

  KEYS[1] meta    hash   total, sold
  KEYS[2] orders  hash   buyer -> orderId (the buyer is the user, or "anon:<orderId>" for an anonymous sale)
  KEYS[3] stream  stream one entry per order: order <orderId> user <user>
  ARGV[1] user ('' = anonymous: no per-user limit)
  ARGV[2] orderId

  Returns  1 sold, -1 sold out, -2 this user already holds one (limit 1), -4 unknown sale (no meta).
  `total > sold` is the check the article got wrong (`total >= sold` sells total + 1).
]]
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
if not total then return -4 end
local buyer = ARGV[1]
if buyer == '' then
  buyer = 'anon:' .. ARGV[2]
elseif redis.call('HEXISTS', KEYS[2], buyer) == 1 then
  return -2
end
local sold = tonumber(redis.call('HGET', KEYS[1], 'sold') or '0')
if not (total > sold) then return -1 end
redis.call('HINCRBY', KEYS[1], 'sold', 1)
redis.call('HSET', KEYS[2], buyer, ARGV[2])
redis.call('XADD', KEYS[3], '*', 'order', ARGV[2], 'user', ARGV[1])
return 1
