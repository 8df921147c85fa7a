#!lua flags=no-writes
--[[
  Audit, idempotency pass: one page of the idempotency records (HSCAN from a cursor), each record checked
  against the order it names in this call's atomic view. Read only; a few ms per call. A record and its
  order are written by one script and neither is ever deleted, so a purchase going on cannot make a record
  look wrong. HSCAN may return a record twice: the caller keeps problems as a set.

  Input:
    KEYS[1] {sale:S}:idem       KEYS[2] {sale:S}:orders       KEYS[3] {sale:S}:meta
    ARGV[1] cursor              the HSCAN cursor ('0' to start)
    ARGV[2] budget              1..10000 records per call (about: HSCAN's COUNT is a hint)
    ARGV[3] maxProblems         1..1000 listed per call (more are counted)

  Output: JSON {cursor, done, records, problemCount, problems}   done = true when the scan ended
    {-11 INVALID_ARGUMENT, '<arg>'}

  Checks per record ("<user> <key>" -> "orderId|user"): it names an existing order of that user that
  carries that key — or, once the sale has retired orders (meta retired*, lua/retire-orders-5.lua), an order
  that is gone: a retired order's record is kept for its idempotency window, marked with the order's final
  state ("orderId|user|s", s = p, c or e), and a marked record must name an order that is gone.
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/audit.lua"

local cursor = ARGV[1]
if not isScanCursor(cursor) then return {C.INVALID_ARGUMENT, 'cursor'} end
local budget, bad = auditArgs(ARGV[2], ARGV[3])
if not budget then return {C.INVALID_ARGUMENT, bad} end

local mm = redis.call('HMGET', KEYS[3], 'retiredPaid', 'retiredCancelled', 'retiredExpired')
local retiredAny = tonumber(mm[1] or '0') + tonumber(mm[2] or '0') + tonumber(mm[3] or '0')
local records = 0
repeat
  local r = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', AUDIT_SCAN_COUNT)
  cursor = r[1]
  local flat = r[2]
  local fields, oids, users, marked = {}, {}, {}, {}
  local FINAL = {p = true, c = true, e = true}
  for i = 1, #flat, 2 do
    local field, rec = flat[i], flat[i + 1]
    local bar = string.find(rec, '|', 1, true)
    local mark = bar and string.find(rec, '|', bar + 1, true)
    if not string.find(field, ' ', 1, true) then
      problem('idempotency record ' .. field .. ' is not "<user> <key>"')
    elseif not bar or (mark and not FINAL[string.sub(rec, mark + 1)]) then
      problem('idempotency record ' .. field .. ' is not "orderId|user" or "orderId|user|p|c|e": ' .. string.sub(rec, 1, 60))
    else
      fields[#fields + 1] = field
      oids[#oids + 1] = string.sub(rec, 1, bar - 1)
      users[#users + 1] = string.sub(rec, bar + 1, mark and mark - 1 or #rec)
      marked[#fields] = mark ~= nil
    end
  end
  records = records + #flat / 2
  if #oids > 0 then
    local encs = redis.call('HMGET', KEYS[2], unpack(oids))
    for j = 1, #oids do
      local field, oid, user = fields[j], oids[j], users[j]
      local space = string.find(field, ' ', 1, true)
      local o = encs[j] and decodeOrder(encs[j])
      if not encs[j] then
        if retiredAny == 0 then problem('idempotency key ' .. field .. ' names unknown order ' .. oid) end
      elseif marked[j] then
        problem('idempotency key ' .. field .. ' is marked retired but order ' .. oid .. ' is still in Redis')
      elseif not o or o.user ~= user or string.sub(field, 1, space - 1) ~= user or o.idem ~= string.sub(field, space + 1) then
        problem('idempotency key ' .. field .. ' does not match order ' .. oid)
      end
    end
  end
until cursor == '0' or records >= budget

return auditReply({cursor = cursor, done = cursor == '0', records = records})
