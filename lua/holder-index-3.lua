--[[
  Who may hold something in a sale: every user with a live order and every idempotency record, with the
  sale's ordersMade count, in one consistent snapshot. Read only. A node calls it when a sale is sold out, so it
  can answer "sold out" from memory to buyers who hold nothing while a buyer who holds an order still goes to
  Redis and gets it back. Both sets are bounded by the orders the sale has made.

  Input:
    KEYS[1] {sale:S}:meta       KEYS[2] {sale:S}:holders    KEYS[3] {sale:S}:idem

  Output: {ordersMade, {user, ...}, {"<user> <key>", ...}}, or nil when the sale does not exist.
  Cost: O(holders + idempotency records); about 1 us per entry.
]]
--@include "includes/common.lua"

local m = redis.call('HMGET', KEYS[1], 'total', 'ordersMade')
if not m[1] then return nil end
return {m[2] or '0', redis.call('HKEYS', KEYS[2]), redis.call('HKEYS', KEYS[3])}
