#!lua flags=no-writes
--[[
  Audit, stream pass: one page of the sale's order stream, from a cursor, each order checked against its
  record and its batch's deadline in this call's atomic view. Read only; a few ms per call.

  The stream is append-only and ordered (one entry per batch, written in the same script as its orders), so
  XRANGE from an exclusive cursor names every order exactly once across pages, also while purchases go on:
  the caller counts statuses per page and builds its set of stream orders from the ids returned.

  Input:
    KEYS[1] {sale:S}:orders     KEYS[2] {sale:S}:deadlines     KEYS[3] {sale:S}:stream
    ARGV[1] cursor              '-' (from the start) or the id of the last entry already audited
    ARGV[2] budget              1..10000 orders per call (whole entries: one entry may pass it by < 512)
    ARGV[3] maxProblems         1..1000 listed per call (more are counted)

  Output: JSON {cursor, done, entries, held, paid, cancelled, expired, orders: [orderId, user, ...],
    missing, events: [orderId, user, ...], problemCount, problems}
    done = true when the stream ended in this call (cursor = its last entry)
    orders: the orders of reserve entries ("b <batchId> ..."), counted by status when their record is here;
    missing: how many of them have no record (retired by lua/retire-orders-5.lua: the caller compares with the
    sale's retired counters); events: the pairs of event entries ("ev <event> ...", includes/events.lua), not
    counted (they are not orders).
    {-11 INVALID_ARGUMENT, '<arg>'}

  Checks per entry (all in one atomic view): every order it names exists, reads, has a known status and the
  entry's user; every held order of it is covered (after k) by the entry's deadline member ("<id>" or
  "<id>/<k>", includes/deadlines.lua), scored its expiresAt. Per event entry: the event is paid, cancelled,
  expired or checkedin, and each order it names is either gone (retired) or has exactly that status (a
  checkedin order is paid; final statuses never change) and the entry's user.
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/audit.lua"

local cursor = ARGV[1]
if cursor ~= '-' and not (type(cursor) == 'string' and #cursor <= 41 and string.match(cursor, '^%d+%-%d+$')) then
  return {C.INVALID_ARGUMENT, 'cursor'}
end
local budget, bad = auditArgs(ARGV[2], ARGV[3])
if not budget then return {C.INVALID_ARGUMENT, bad} end

local counts = {held = 0, paid = 0, cancelled = 0, expired = 0}
local out, entries, seen, done = {}, 0, 0, false
local events, missing = {}, 0
-- event -> the status every order it names has from then on (final statuses never change)
local EVENTS = {paid = 'paid', cancelled = 'cancelled', expired = 'expired', checkedin = 'paid'}

local function checkEvent(sid, f)
  local ev = f[2]
  if not EVENTS[ev] then problem('stream entry ' .. sid .. ' has unknown event ' .. tostring(ev)); return end
  local oids, users = {}, {}
  for i = 3, #f, 2 do oids[#oids + 1] = f[i]; users[#users + 1] = f[i + 1] end
  if #oids == 0 then problem('event entry ' .. sid .. ' names no order'); return end
  local encs = redis.call('HMGET', KEYS[1], unpack(oids))
  for j = 1, #oids do
    events[#events + 1] = oids[j]
    events[#events + 1] = users[j]
    local o = encs[j] and decodeOrder(encs[j])
    if encs[j] and not o then
      problem('order ' .. oids[j] .. ' cannot be read: ' .. string.sub(encs[j], 1, 60))
    elseif o and o.status ~= EVENTS[ev] then
      problem('event entry ' .. sid .. ' says ' .. ev .. ' but order ' .. oids[j] .. ' is ' .. o.status)
    elseif o and o.user ~= users[j] then
      problem('event entry ' .. sid .. ' gives order ' .. oids[j] .. ' another user')
    end
  end
  seen = seen + #oids
end

local function checkEntry(sid, f)
  local oids, users = {}, {}
  for i = 3, #f, 2 do oids[#oids + 1] = f[i]; users[#users + 1] = f[i + 1] end
  local n = #oids
  if n == 0 then return end
  local encs = redis.call('HMGET', KEYS[1], unpack(oids))
  -- Its deadline member, looked up only when a held order needs it: "<sid>", else "<sid>/<k>" with k < n (a
  -- sweep resumes after order k). A second member for the entry is found here or by audit-deadlines.
  local cover, coverDone, coverScore = nil, 0, 0
  local anyHeld = false
  for j = 1, n do
    if encs[j] and string.sub(encs[j], 1, 5) == 'held|' then anyHeld = true; break end
  end
  if anyHeld then
    local bare = redis.call('ZSCORE', KEYS[2], sid)
    if bare then
      cover, coverScore = sid, tonumber(bare)
    elseif n > 1 then
      local members = {}
      for k = 1, n - 1 do members[k] = sid .. '/' .. k end
      local scores = redis.call('ZMSCORE', KEYS[2], unpack(members))
      for k = 1, n - 1 do
        if scores[k] then
          if cover then problem('stream entry ' .. sid .. ' has two deadline entries') end
          cover, coverDone, coverScore = members[k], k, tonumber(scores[k])
        end
      end
    end
  end
  for j = 1, n do
    local oid, enc = oids[j], encs[j]
    out[#out + 1] = oid
    out[#out + 1] = users[j]
    local o = enc and decodeOrder(enc)
    if not enc then
      missing = missing + 1
    elseif not o then
      problem('order ' .. oid .. ' cannot be read: ' .. string.sub(enc, 1, 60))
    else
      if o.user ~= users[j] then problem('stream entry ' .. sid .. ' gives order ' .. oid .. ' another user') end
      if counts[o.status] == nil then
        problem('order ' .. oid .. ' has unknown status ' .. o.status)
      else
        counts[o.status] = counts[o.status] + 1
      end
      if o.status == 'held' then
        if not cover or j <= coverDone then
          problem('held order ' .. oid .. ' has no deadline')
        elseif o.expiresAt ~= coverScore then
          problem('deadline ' .. cover .. ' is ' .. fmt(coverScore) .. ' but held order ' .. oid .. ' expires at ' .. fmt(o.expiresAt))
        end
      end
    end
  end
  seen = seen + n
end

while seen < budget and not done do
  local page = redis.call('XRANGE', KEYS[3], cursor == '-' and '-' or '(' .. cursor, '+', 'COUNT', 8)
  if #page < 8 then done = true end
  for i, e in ipairs(page) do
    if e[2][1] == 'ev' then checkEvent(e[1], e[2]) else checkEntry(e[1], e[2]) end
    entries = entries + 1
    cursor = e[1]
    if seen >= budget and i < #page then done = false; break end
  end
end

return auditReply({
  cursor = cursor, done = done, entries = entries, held = counts.held, paid = counts.paid,
  cancelled = counts.cancelled, expired = counts.expired, orders = out, missing = missing, events = events,
})
