--[[
  Creates a train sale (seats sold per segment of the route, includes/seats.lua); never overwrites a sale.

  Input:
    KEYS[1] {sale:S}:meta   KEYS[2] {sale:S}:seats   KEYS[3] {sale:S}:free   KEYS[4] {sale:S}:stretch
    ARGV[1..7]  total, perUserLimit, holdSeconds, opensAt, closesAt, anonymous, idKey (includes/sale-fields.lua);
                total must be seats x segments: a train counts seat-segments
    ARGV[8]     train: the route and coaches as JSON (src/rules/train-config.ts), kept for the nodes and status
    ARGV[9]     segments S, 1..63 (stations - 1)
    ARGV[10]    seatKinds: one character per seat, w | a | m, 1..4000 seats, in catalogue order
    ARGV[11]    coachStarts: each coach's first seat index, comma separated, from 0, increasing
    ARGV[12]    coachClasses: each coach's class, comma separated, 1-16 of a-z 0-9 _ -
    ARGV[13]    optional: the sale's waiting room (includes/sale-fields.lua), '' or absent = none

  Writes the meta (kind train, segments, seatKinds, coachStarts, coachClasses, train, seatVersion 1), every
  seat free on the whole route (occupancy S zeroes), one free stretch [0, S) per seat and its F counts.

  Output: 1 created, 2 exists (nothing changed), {-13 INVALID_SALE, '<field>'} nothing written.
  The registry place and ts:sales are the engine's, as for lua/create-sale-1.lua.
]]
--@include "includes/common.lua"
--@include "includes/sale-fields.lua"
--@include "includes/seats.lua"

if #ARGV ~= 12 and #ARGV ~= 13 then return {C.INVALID_SALE, 'argument count'} end
local f, err = readSaleFields(13)
if not f then return err end
local train = ARGV[8]
if #train < 2 or #train > 65536 or not pcall(cjson.decode, train) then return {C.INVALID_SALE, 'train'} end
local S = toInt(ARGV[9])
if not S or S < 1 or S > 63 then return {C.INVALID_SALE, 'stations'} end
local kinds = ARGV[10]
local N = #kinds
if N < 1 or N > 4000 or string.find(kinds, '[^wam]') then return {C.INVALID_SALE, 'seatKinds'} end
if f.total ~= N * S then return {C.INVALID_SALE, 'total'} end
local starts, classes = {}, {}
for n in string.gmatch(ARGV[11], '[^,]+') do starts[#starts + 1] = toInt(n) end
for c in string.gmatch(ARGV[12], '[^,]+') do
  if #c > 16 or string.find(c, '[^a-z0-9_%-]') then return {C.INVALID_SALE, 'coaches: class'} end
  classes[#classes + 1] = c
end
if #starts < 1 or #starts > 64 or #starts ~= #classes or starts[1] ~= 0 then return {C.INVALID_SALE, 'coaches'} end
for i = 2, #starts do
  if not starts[i] or starts[i] <= starts[i - 1] or starts[i] >= N then return {C.INVALID_SALE, 'coaches'} end
end

if redis.call('EXISTS', KEYS[1]) == 1 then return C.EXISTS end
for k = 2, 4 do
  if redis.call('EXISTS', KEYS[k]) == 1 then return {C.INVALID_SALE, 'KEYS[' .. k .. '] exists without the sale'} end
end

writeSaleMeta(KEYS[1], f, {'kind', 'train', 'segments', fmt(S), 'seatKinds', kinds, 'coachStarts', ARGV[11],
  'coachClasses', ARGV[12], 'train', train, 'seatVersion', '1'})
local book = openSeatBook({seats = KEYS[2], free = KEYS[3], stretch = KEYS[4]},
  {segments = fmt(S), seatKinds = kinds, coachStarts = ARGV[11], coachClasses = ARGV[12]})
local empty = string.rep('0', S)
local occArgs, freeArgs = {}, {}
local function flush()
  if #occArgs > 0 then redis.call('HSET', KEYS[2], unpack(occArgs)) end
  if #freeArgs > 0 then redis.call('ZADD', KEYS[3], unpack(freeArgs)) end
  occArgs, freeArgs = {}, {}
end
local whole = cellOf(S, 0, S)
for seat = 0, N - 1 do
  local class, kind = seatClass(book, seat), seatKind(book, seat)
  occArgs[#occArgs + 1] = fmt(seat)
  occArgs[#occArgs + 1] = empty
  freeArgs[#freeArgs + 1] = '0'
  freeArgs[#freeArgs + 1] = freeMember(class, kind, 0, S, seat)
  local F = countsOf(book, class, kind)
  F[whole] = F[whole] + 1
  book.dirtyF[class .. '|' .. kind] = true
  if #occArgs >= 1000 then flush() end
end
flush()
local fArgs = {}
for field in pairs(book.dirtyF) do
  fArgs[#fArgs + 1] = field
  fArgs[#fArgs + 1] = cjson.encode(book.F[field])
end
redis.call('HSET', KEYS[4], unpack(fArgs))
return C.OK
