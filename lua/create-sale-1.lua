--[[
  Creates a sale; never overwrites one.

  Input:
    KEYS[1] {sale:S}:meta
    ARGV[1] total          integer 1..100000000
    ARGV[2] perUserLimit   integer 1..1000000
    ARGV[3] holdSeconds    integer 1..604800
    ARGV[4] opensAt        ms since epoch, 0 = open at once
    ARGV[5] closesAt       ms since epoch, 0 = never closes; else > opensAt
    ARGV[6] anonymous      0 | 1
    ARGV[7] idKey          32 lowercase hex characters: the key of the tag in the sale's order ids
                           (src/sale/ids.ts), made by SaleEngine.createSale; stored as meta idKey, never changed

  The meta gets holderLog 1: the sale's {sale:S}:mayhold list (appended by reserve-batch) holds every holder
  since its first order, so a node reads who may hold what from the list alone (lua/holder-log-4.lua).

  Output:
     1  created
     2  exists (nothing changed)
    {-13 INVALID_SALE, '<field>'}  nothing written

  The sale registry ({ts:registry}) and the discovery set ts:sales live in other slots: src/sale/engine.ts
  takes the sale's place (lua/reserve-place-2.lua, which refuses when the registry is full) before this
  script, and adds the id to ts:sales after it (not atomic; a sale missing from ts:sales is only missing
  from listSales()).
]]
--@include "includes/common.lua"

local function int(i, lo, hi)
  local n = toInt(ARGV[i])
  if n == nil or n < lo or n > hi then return nil end
  return n
end

if #ARGV ~= 7 then return {C.INVALID_SALE, 'argument count'} end
local total = int(1, 1, 100000000)
if not total then return {C.INVALID_SALE, 'total'} end
local limit = int(2, 1, 1000000)
if not limit then return {C.INVALID_SALE, 'perUserLimit'} end
local hold = int(3, 1, 604800)
if not hold then return {C.INVALID_SALE, 'holdSeconds'} end
local opensAt = int(4, 0, 9999999999999)
if not opensAt then return {C.INVALID_SALE, 'opensAt'} end
local closesAt = int(5, 0, 9999999999999)
if not closesAt or (closesAt ~= 0 and closesAt <= opensAt) then return {C.INVALID_SALE, 'closesAt'} end
local anon = ARGV[6]
if anon ~= '0' and anon ~= '1' then return {C.INVALID_SALE, 'anonymous'} end
local idKey = ARGV[7]
if not isIdKey(idKey) then return {C.INVALID_SALE, 'idKey'} end

if redis.call('EXISTS', KEYS[1]) == 1 then return C.EXISTS end

redis.call('HSET', KEYS[1],
  'total', fmt(total), 'perUserLimit', fmt(limit), 'holdSeconds', fmt(hold),
  'opensAt', fmt(opensAt), 'closesAt', fmt(closesAt), 'anonymous', anon,
  'held', '0', 'paid', '0', 'createdAt', fmt(nowMs()), 'idKey', idKey, 'holderLog', '1')
return C.OK
