#!lua flags=no-writes
--[[
  Audit, deadlines pass: one page of the hold deadlines (ZSCAN from a cursor), each member checked against
  the stream entry it names in this call's atomic view. Read only; a few ms per call. Whether each held
  order is covered by its member, with the right score, is checked from the stream side (audit-stream).
  A sweep replaces "<id>" by "<id>/<k>" atomically, and ZSCAN may return a member twice: each member is
  judged alone, and the caller keeps problems as a set.

  Input:
    KEYS[1] {sale:S}:deadlines  KEYS[2] {sale:S}:stream
    ARGV[1] cursor              the ZSCAN cursor ('0' to start)
    ARGV[2] budget              1..10000 units per call: one per member plus one per order of its entry
    ARGV[3] maxProblems         1..1000 listed per call (more are counted)

  Output: JSON {cursor, done, members, problemCount, problems}   done = true when the scan ended
    {-11 INVALID_ARGUMENT, '<arg>'}

  Checks per member ("<streamId>" or "<streamId>/<k>", includes/deadlines.lua): it names a stream entry
  that has orders after the first k; a "<streamId>/<k>" is not beside a "<streamId>" (two members for one
  entry; two "/<k>" members of one entry are found by audit-stream when that entry has a held order).
]]
--@include "includes/common.lua"
--@include "includes/deadlines.lua"
--@include "includes/audit.lua"

local cursor = ARGV[1]
if not isScanCursor(cursor) then return {C.INVALID_ARGUMENT, 'cursor'} end
local budget, bad = auditArgs(ARGV[2], ARGV[3])
if not budget then return {C.INVALID_ARGUMENT, bad} end

local members, seen = 0, 0
repeat
  local r = redis.call('ZSCAN', KEYS[1], cursor, 'COUNT', 16)
  cursor = r[1]
  local flat = r[2]
  for i = 1, #flat, 2 do
    local member = flat[i]
    local sid, done = parseDeadline(member)
    local n = -1
    if done and string.match(sid, '^%d+%-%d+$') then
      -- pcall: an id past 64 bits is an error reply, not a script error
      local entry = redis.pcall('XRANGE', KEYS[2], sid, sid)
      if type(entry) == 'table' and not entry.err then
        n = entry[1] and #entryOrderIds(entry[1][2]) or -1
      end
    end
    if n < 0 or done >= n then
      problem('deadline ' .. member .. ' names no unswept order of a stream entry')
    elseif done > 0 and redis.call('ZSCORE', KEYS[1], sid) then
      problem('stream entry ' .. sid .. ' has two deadline entries')
    end
    members = members + 1
    seen = seen + 1 + math.max(n, 0)
  end
until cursor == '0' or seen >= budget

return auditReply({cursor = cursor, done = cursor == '0', members = members})
