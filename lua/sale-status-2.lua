--[[
  Reads a sale's counters and configuration. Read only.

  Input:
    KEYS[1] {sale:S}:meta
    KEYS[2] {sale:S}:stretch    a train sale's F counts (includes/seats.lua)

  Output: {total, perUserLimit, holdSeconds, opensAt, closesAt, anonymous, held, paid, createdAt, ordersMade, nowMs,
    retiredPaid, retiredCancelled, retiredExpired, paused, checkedIn, idKey, kind, train, board, queue}
    as strings (nowMs is Redis TIME, so "open" is judged by the same clock as reserve-batch; ordersMade
    counts every order the sale ever made, so a node can tell whether its copy of the holders is current),
    or nil when the sale does not exist. retired* count orders whose records lua/retire-orders-5.lua removed
    (final and in PostgreSQL); paid still counts retired paid orders. paused is '1' while an operator has paused
    the sale (lua/pause-sale-1.lua), else '0'. checkedIn counts the tickets gates admitted (lua/check-in-4.lua).
    idKey is the key of the tag in the sale's order ids (lua/create-sale-1.lua), '' for a legacy sale made
    before order ids carried one. kind is 'counter' or 'train'; a train adds its route and coaches (the JSON it
    was created with) and its seat board — {"v": seatVersion, "c": {class: F summed over seat kinds}} for every
    class, what a node mirrors to answer availability from memory (src/sale/seat-board.ts); '' for a counter.
    queue: the sale's waiting room as stored (includes/sale-fields.lua, lua/queue-set-1.lua), '' for none.
]]
--@include "includes/common.lua"
--@include "includes/seats.lua"

local m = redis.call('HMGET', KEYS[1], 'total', 'perUserLimit', 'holdSeconds', 'opensAt', 'closesAt',
  'anonymous', 'held', 'paid', 'createdAt', 'ordersMade', 'retiredPaid', 'retiredCancelled', 'retiredExpired', 'paused',
  'checkedIn', 'idKey', 'kind', 'train', 'segments', 'seatKinds', 'coachStarts', 'coachClasses', 'seatVersion', 'queue')
if not m[1] then return nil end
local kind, train, board = 'counter', '', ''
if m[17] == 'train' then
  kind, train = 'train', m[18]
  local book = openSeatBook({stretch = KEYS[2]},
    {segments = m[19], seatKinds = m[20], coachStarts = m[21], coachClasses = m[22]})
  board = seatBoard(book, tonumber(m[23]), true)
end
m[10] = m[10] or '0'
local checkedIn, idKey = m[15] or '0', m[16] or ''
local retired = {m[11] or '0', m[12] or '0', m[13] or '0'}
m[11] = fmt(nowMs())
m[15] = m[14] == '1' and '1' or '0'
m[12], m[13], m[14] = retired[1], retired[2], retired[3]
m[16], m[17] = checkedIn, idKey
return {m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12], m[13], m[14], m[15], m[16], m[17],
  kind, train, board, m[24] or ''}
