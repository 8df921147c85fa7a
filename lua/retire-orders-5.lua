--[[
  Retention: lets go of orders that are final and committed in PostgreSQL. Called by the order worker after
  its COMMIT (and before its XACK) with the orders it committed in a final state. Idempotent: an id whose
  record is gone already (retired before, or never made) is skipped.

  Input:
    KEYS[1] {sale:S}:meta       hash: retiredPaid, retiredCancelled, retiredExpired are counted here
    KEYS[2] {sale:S}:orders     KEYS[3] {sale:S}:idem
    KEYS[4] {sale:S}:idemdue    zset: idempotency records of retired orders still inside their window
                                ("<user> <key>"), scored by createdAt + window (ms)
    KEYS[5] {sale:S}:items      a train order's seats: a cancelled or expired order's are deleted with it; a paid
                                order's stay (its seats stay taken in the seat book for good, and the audit
                                recounts them from these records; order_seats in PostgreSQL has them too)
    ARGV[1] saleId
    ARGV[2] idemWindowMs        0..604800000: how long after an order was made a buyer's retry must still get
                                it back from Redis
    ARGV[3] n                   0..1000 order ids (0: only drop idempotency records whose window passed)
    ARGV[3 + i]                 orderId "<saleId>.<unique>"  (i = 1..n)

  Per order still in Redis:
    status paid | cancelled | expired  the record is deleted and counted into meta retired<Status>; its
                                       idempotency record (if it names this order) is deleted when
                                       createdAt + idemWindowMs <= Redis TIME, else kept — marked with the
                                       order's final state ("orderId|user|s", s = p, c or e: a retry with the
                                       key replays the state the record now holds alone) — and put on idemdue
    status held (live, or past its deadline but not swept: not final)   skipped
  Kept: the holders entry (per-user counts keep the limit; its latestOrderId may name a retired order:
  reserve-batch replays it as paid — a cancelled or expired order has left the count), the sale counters (meta held/paid are unchanged: paid still counts
  retired paid orders, so remaining = total - held - paid stays right). Then at most 1000 records on idemdue
  whose window passed are deleted (with their idemdue member).

  Output: {retired, live, idemDropped, idemKept, droppedFields}
    retired      orders deleted by this call       live         ids skipped because their order is held
    idemDropped  idempotency records deleted       idemKept     records kept for their window (put on idemdue)
    droppedFields  the "<user> <key>" of every idempotency record deleted (the caller drops the key claims)
    {-5 UNKNOWN_SALE, saleId}   {-11 INVALID_ARGUMENT, '<arg>'}   nothing written
]]
--@include "includes/common.lua"
--@include "includes/order.lua"

local MAX_RETIRE = 1000
local saleId = ARGV[1]
if not isSaleId(saleId) then return {C.INVALID_ARGUMENT, 'saleId'} end
local window = toInt(ARGV[2])
if not window or window > 604800000 then return {C.INVALID_ARGUMENT, 'idemWindowMs'} end
local n = toInt(ARGV[3])
if not n or n > MAX_RETIRE then return {C.INVALID_ARGUMENT, 'count'} end
if #ARGV ~= 3 + n then return {C.INVALID_ARGUMENT, 'argument count'} end
local prefix = saleId .. '.'
local oids, seen = {}, {}
for i = 1, n do
  local oid = ARGV[3 + i]
  if string.sub(oid, 1, #prefix) ~= prefix or saleOfOrderId(oid) ~= saleId then
    return {C.INVALID_ARGUMENT, 'orderIds[' .. (i - 1) .. ']'}
  end
  if not seen[oid] then seen[oid] = true; oids[#oids + 1] = oid end
end
local badType = wrongKeyType({'hash', 'hash', 'hash', 'zset'})
if badType then return badType end
if redis.call('EXISTS', KEYS[1]) == 0 then return {C.UNKNOWN_SALE, saleId} end

local now = nowMs()
local gone, live = {}, 0
local ended = {}             -- gone orders that were not paid: their seat records go with them
local byStatus = {paid = 0, cancelled = 0, expired = 0}
local idemFields, idemOrder, idemDue, idemState = {}, {}, {}, {}
if #oids > 0 then
  local encs = redis.call('HMGET', KEYS[2], unpack(oids))
  for j = 1, #oids do
    local enc = encs[j]
    if enc then
      local o = decodeOrder(enc)
      if not o then return {C.INVALID_ARGUMENT, 'order ' .. oids[j]} end
      if o.status == 'held' then
        live = live + 1
      elseif byStatus[o.status] then
        byStatus[o.status] = byStatus[o.status] + 1
        gone[#gone + 1] = oids[j]
        if o.status ~= 'paid' then ended[#ended + 1] = oids[j] end
        if o.idem ~= '' then
          local field = o.user .. ' ' .. o.idem
          idemFields[#idemFields + 1] = field
          idemOrder[#idemFields] = oids[j]
          idemDue[#idemFields] = o.createdAt + window
          idemState[#idemFields] = string.sub(o.status, 1, 1)
        end
      else
        return {C.INVALID_ARGUMENT, 'order ' .. oids[j] .. ' has status ' .. o.status}
      end
    end
  end
end
local dropIdem, keepIdem, markIdem = {}, {}, {}
if #idemFields > 0 then
  local recs = redis.call('HMGET', KEYS[3], unpack(idemFields))
  for j = 1, #idemFields do
    -- Only the record that names this order ("orderId|user").
    if recs[j] and string.sub(recs[j], 1, #idemOrder[j] + 1) == idemOrder[j] .. '|' then
      if idemDue[j] <= now then
        dropIdem[#dropIdem + 1] = idemFields[j]
      else
        keepIdem[#keepIdem + 1] = fmt(idemDue[j])
        keepIdem[#keepIdem + 1] = idemFields[j]
        -- The record outlives the order's: it carries the final state, so a retry still hears paid, cancelled
        -- or expired (users have no '|': the third part is unambiguous).
        markIdem[#markIdem + 1] = idemFields[j]
        markIdem[#markIdem + 1] = recs[j] .. '|' .. idemState[j]
      end
    end
  end
end
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', fmt(now), 'LIMIT', 0, MAX_RETIRE)

-- Writes, once everything is read and checked.
if #gone > 0 then
  redis.call('HDEL', KEYS[2], unpack(gone))
  if #ended > 0 then redis.call('HDEL', KEYS[5], unpack(ended)) end
  for status, count in pairs(byStatus) do
    if count > 0 then
      redis.call('HINCRBY', KEYS[1], 'retired' .. string.upper(string.sub(status, 1, 1)) .. string.sub(status, 2), count)
    end
  end
end
if #dropIdem > 0 then redis.call('HDEL', KEYS[3], unpack(dropIdem)) end
if #keepIdem > 0 then
  redis.call('ZADD', KEYS[4], unpack(keepIdem))
  redis.call('HSET', KEYS[3], unpack(markIdem))
end
if #due > 0 then
  redis.call('HDEL', KEYS[3], unpack(due))
  redis.call('ZREM', KEYS[4], unpack(due))
end
-- The dropped records' "<user> <key>" go back to the caller, which lets go of the buyers' key claims
-- (ts:idemkey:<user> <key>, another slot on Cluster): the key's window is over, in this sale and across sales.
local dropped = {}
for _, f in ipairs(dropIdem) do dropped[#dropped + 1] = f end
for _, f in ipairs(due) do dropped[#dropped + 1] = f end
return {#gone, live, #dropIdem + #due, #keepIdem / 2, dropped}
