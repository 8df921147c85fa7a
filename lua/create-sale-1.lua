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
    ARGV[8] queue          optional: the sale's waiting room (includes/sale-fields.lua), '' or absent = none

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
--@include "includes/sale-fields.lua"

if #ARGV ~= 7 and #ARGV ~= 8 then return {C.INVALID_SALE, 'argument count'} end
local f, err = readSaleFields(8)
if not f then return err end

if redis.call('EXISTS', KEYS[1]) == 1 then return C.EXISTS end

writeSaleMeta(KEYS[1], f, {})
return C.OK
