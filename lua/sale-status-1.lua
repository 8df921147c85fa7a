--[[
  Reads a sale's counters and configuration. Read only.

  Input:
    KEYS[1] {sale:S}:meta

  Output: {total, perUserLimit, holdSeconds, opensAt, closesAt, anonymous, held, paid, createdAt, ordersMade, nowMs,
    retiredPaid, retiredCancelled, retiredExpired, paused, checkedIn, idKey}
    as strings (nowMs is Redis TIME, so "open" is judged by the same clock as reserve-batch; ordersMade
    counts every order the sale ever made, so a node can tell whether its copy of the holders is current),
    or nil when the sale does not exist. retired* count orders whose records lua/retire-orders-4.lua removed
    (final and in PostgreSQL); paid still counts retired paid orders. paused is '1' while an operator has paused
    the sale (lua/pause-sale-1.lua), else '0'. checkedIn counts the tickets gates admitted (lua/check-in-4.lua).
    idKey is the key of the tag in the sale's order ids (lua/create-sale-1.lua), '' for a legacy sale made
    before order ids carried one.
]]
--@include "includes/common.lua"

local m = redis.call('HMGET', KEYS[1], 'total', 'perUserLimit', 'holdSeconds', 'opensAt', 'closesAt',
  'anonymous', 'held', 'paid', 'createdAt', 'ordersMade', 'retiredPaid', 'retiredCancelled', 'retiredExpired', 'paused',
  'checkedIn', 'idKey')
if not m[1] then return nil end
m[10] = m[10] or '0'
local checkedIn, idKey = m[15] or '0', m[16] or ''
local retired = {m[11] or '0', m[12] or '0', m[13] or '0'}
m[11] = fmt(nowMs())
m[15] = m[14] == '1' and '1' or '0'
m[12], m[13], m[14] = retired[1], retired[2], retired[3]
m[16], m[17] = checkedIn, idKey
return m
