#!lua flags=no-writes
--[[
  Audit, orders pass: one page of the orders hash (HSCAN from a cursor), each record checked on its own.
  Read only; a few ms per call. The caller checks that every id returned is named by the stream (the stream
  pass) — after reading the stream on to its end, since an order made after the stream pass has its entry
  there: orders and their stream entry are written by one script, and no script deletes either.
  HSCAN may return a field twice: the caller uses the ids as a set and its problems as a set.

  Input:
    KEYS[1] {sale:S}:orders
    ARGV[1] cursor              the HSCAN cursor ('0' to start)
    ARGV[2] budget              1..10000 orders per call (about: HSCAN's COUNT is a hint)
    ARGV[3] maxProblems         1..1000 listed per call (more are counted)

  Output: JSON {cursor, done, ids: [orderId, ...], statuses: [status, ...], problemCount, problems}
    (statuses[i] is ids[i]'s status: the caller counts an order the stream names only by events — its reserve
    entry trimmed — from here; such an order is final, and a final status never changes)   done = true when the scan ended
    {-11 INVALID_ARGUMENT, '<arg>'}

  Checks per record: it reads (includes/order.lua) and its status is held, paid, cancelled or expired.
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/audit.lua"

local cursor = ARGV[1]
if not isScanCursor(cursor) then return {C.INVALID_ARGUMENT, 'cursor'} end
local budget, bad = auditArgs(ARGV[2], ARGV[3])
if not budget then return {C.INVALID_ARGUMENT, bad} end

local STATUS = {held = true, paid = true, cancelled = true, expired = true}
local ids, statuses, seen = {}, {}, 0
repeat
  local r = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', AUDIT_SCAN_COUNT)
  cursor = r[1]
  local flat = r[2]
  for i = 1, #flat, 2 do
    local oid, enc = flat[i], flat[i + 1]
    ids[#ids + 1] = oid
    local o = decodeOrder(enc)
    statuses[#statuses + 1] = o and o.status or ''
    if not o then
      problem('order ' .. oid .. ' cannot be read: ' .. string.sub(enc, 1, 60))
    elseif not STATUS[o.status] then
      problem('order ' .. oid .. ' has unknown status ' .. o.status)
    end
  end
  seen = seen + #flat / 2
until cursor == '0' or seen >= budget

return auditReply({cursor = cursor, done = cursor == '0', ids = ids, statuses = statuses})
