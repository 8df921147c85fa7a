--[[
  Changes a sale's stock: total += add. A positive add puts returned seats back on sale; a negative one takes
  unsold seats off it. The total never goes below what is held or paid (no sold seat is taken back) nor
  below 1 (a sale to stop is closed, not emptied), nor above 100000000 (SALE_TOTAL in src/rules/input-rules.ts).
  Nodes raise their quotas and clear their sold-out flags from the new remaining at their next reconcile
  (src/sale/quota.ts applyFacts).

  Input:
    KEYS[1] {sale:S}:meta      hash; this script writes only its field `total`
    ARGV[1] add                a whole number, -100000000..100000000, not 0 (decimal, optional leading '-')

  Output:
    {1, total, remaining}      done: the new total and total - held - paid
    {-5 UNKNOWN_SALE, ''}      nothing written
    {-17 SALE_CLOSED, '<closesAt>'}   the sale's closesAt has passed by Redis's clock: nothing written
    {-18 STOCK_FLOOR, '<floor>'}      total + add would be below max(held + paid, 1): nothing written
    {-11 INVALID_ARGUMENT, 'add' | 'total' | 'argument count' | 'kind'}   add malformed, the new total above
                               100000000, or a train sale (its stock is its coaches' seats on its route, counted
                               in seat-segments; there is no count to change): nothing written
]]
--@include "includes/common.lua"

if #ARGV ~= 1 then return {C.INVALID_ARGUMENT, 'argument count'} end
local raw = ARGV[1]
local negative = string.sub(raw, 1, 1) == '-'
local size = toInt(negative and string.sub(raw, 2) or raw)
if size == nil or size < 1 or size > 100000000 then return {C.INVALID_ARGUMENT, 'add'} end
local add = negative and -size or size

local m = redis.call('HMGET', KEYS[1], 'total', 'closesAt', 'held', 'paid', 'kind')
if not m[1] then return {C.UNKNOWN_SALE, ''} end
if m[5] == 'train' then return {C.INVALID_ARGUMENT, 'kind'} end
local total, closesAt = tonumber(m[1]), tonumber(m[2]) or 0
local held, paid = tonumber(m[3]) or 0, tonumber(m[4]) or 0
if closesAt ~= 0 and nowMs() >= closesAt then return {C.SALE_CLOSED, fmt(closesAt)} end
local floor = math.max(held + paid, 1)
local newTotal = total + add
if newTotal < floor then return {C.STOCK_FLOOR, fmt(floor)} end
if newTotal > 100000000 then return {C.INVALID_ARGUMENT, 'total'} end

-- Validated; the one write.
redis.call('HSET', KEYS[1], 'total', fmt(newTotal))
return {C.OK, newTotal, newTotal - held - paid}
