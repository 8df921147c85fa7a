--[[
  One page of who may hold something in a sale, from where the reader left off: the entries of the sale's
  mayhold list (users and idempotency record fields "<user> <key>" of every hold ever made, appended by
  reserve-batch), with the sale's ordersMade at the same instant. Read only. A node reads it when a sale is sold
  out, so it can answer "sold out" from memory to buyers who hold nothing while one who may hold an order still
  goes to Redis and gets it back; it reads only what was appended since its last page, so a re-sync costs the
  holds made since, not all the sale's orders again (src/node/main/holder-sync.ts).

  Input:
    KEYS[1] {sale:S}:meta       KEYS[2] {sale:S}:mayhold
    KEYS[3] {sale:S}:holders    KEYS[4] {sale:S}:idem       (read only for a sale made before the list, below)
    ARGV[1] cursor              0.. the list index to read from (0: the first page)
    ARGV[2] max                 1..100000 entries at most in this page

  Output: {ordersMade, next, length, {entry, ...}}  next = the cursor after this page; length = the list's
    length now. The page is the reader's whole truth up to ordersMade only when next == length.
    next = -1: the cursor is past the list's end (the list is not the one the reader was reading): start over.
    nil: no such sale. {-11 INVALID_ARGUMENT, 'cursor' | 'max'}
  A sale made before the list (meta without holderLog): the first page (cursor 0) is every user in its holders
  hash and every field of its idempotency records — what may hold something before the list began — with
  next = length, so later pages read only the list. O(that sale's holders + records) once; afterwards, and for
  every sale since, O(page).
]]
--@include "includes/common.lua"

local cursor, max = toInt(ARGV[1]), toInt(ARGV[2])
if not cursor or cursor < 0 then return {C.INVALID_ARGUMENT, 'cursor'} end
if not max or max < 1 or max > 100000 then return {C.INVALID_ARGUMENT, 'max'} end
local m = redis.call('HMGET', KEYS[1], 'total', 'ordersMade', 'holderLog')
if not m[1] then return nil end
local ordersMade = m[2] or '0'
local length = redis.call('LLEN', KEYS[2])
if cursor > length then return {ordersMade, -1, length, {}} end
if cursor == 0 and m[3] ~= '1' then
  local entries = redis.call('HKEYS', KEYS[3])
  for _, field in ipairs(redis.call('HKEYS', KEYS[4])) do entries[#entries + 1] = field end
  return {ordersMade, length, length, entries}
end
local last = math.min(length, cursor + max) - 1
if last < cursor then return {ordersMade, cursor, length, {}} end
return {ordersMade, last + 1, length, redis.call('LRANGE', KEYS[2], cursor, last)}
