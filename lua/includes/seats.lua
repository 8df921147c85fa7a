--[[
  Seats on segments: a train sale's seat book, shared by every script that takes or gives back seats
  (reserve-batch, cancel, expire-holds). A train runs through stations 0..S; a seat is sold for [a, b)
  (0 <= a < b <= S) and stays for sale on the rest of the route.

  Keys (src/redis/keys.ts):
    {sale:S}:seats    hash  seat index -> occupancy: S characters, character i (1-based) '1' when segment
                            [i-1, i) of the seat is sold or held, '0' when free
    {sale:S}:free     zset  every maximal free stretch [l, r) of every seat, one member each, all scored 0 and
                            ordered by text: "<class>|<kind>|<r-l, 2 digits>|<l, 2 digits>|<seat, 4 digits>", so
                            ZRANGEBYLEX finds the lowest seat of a class and kind whose free stretch is exactly [l, r)
    {sale:S}:stretch  hash  "<class>|<kind>" -> JSON array F: F[cell(l, r)] = how many seats of that class and kind
                            have [l, r) as a maximal free stretch. Seats left from a to b =
                            sum of F[cell(l, r)] for l <= a, r >= b (each seat has at most one stretch holding [a, b))
  meta: segments S; seatKinds (one character per seat: w window, a aisle, m middle); coachStarts (the first seat
  index of each coach, comma separated); coachClasses (each coach's class, comma separated); seatVersion (grows
  with every change of the book: a node keeps the newest copy it has seen).

  Taking [a, b) from a seat whose stretch is [l, r) replaces it with [l, a) and [b, r) (the empty ones dropped);
  giving [a, b) back merges it with the free segments beside it. Either changes at most three cells of F.

  Allocation (pickSeats): best fit — the seat whose free stretch around [a, b) is shortest, then the leftmost
  stretch, then window, aisle, middle, then the lowest seat index; a preferred kind first, the others after.
  A group (k > 1) takes the k best seats of the first coach that has k, in that order; when no coach has
  k, the k best of the train. src/sale/seat-stretches.ts is the same policy in TypeScript (tests, benchmarks).
]]
local SEAT_KIND_ORDER = {'w', 'a', 'm'}

-- F's index of [l, r) for S segments, 1-based: the cells of l = 0 first (r = 1..S), then l = 1, ...
local function cellOf(S, l, r)
  return l * (2 * S - l + 1) / 2 + (r - l - 1) + 1
end

local function freeMember(class, kind, l, r, seat)
  return class .. '|' .. kind .. '|' .. string.format('%02d|%02d|%04d', r - l, l, seat)
end

-- The book of one train sale for one script call: the meta fields it needs, F per class and kind, and the
-- occupancy of the seats it touched, each read once and written once at the end (flushSeats).
local function openSeatBook(keys, meta)
  local S = tonumber(meta.segments)
  local starts = {}
  for n in string.gmatch(meta.coachStarts, '%d+') do starts[#starts + 1] = tonumber(n) end
  local classes = {}
  for c in string.gmatch(meta.coachClasses, '[^,]+') do classes[#classes + 1] = c end
  return {
    keys = keys, S = S, kinds = meta.seatKinds, starts = starts, classes = classes,
    F = {}, L = {}, C = {}, CL = {}, dirtyF = {}, occ = {}, dirtyOcc = {}, changed = false,
    -- The free index's writes of this call, sent in one ZADD and one ZREM at the end (flushSeats); reads of a
    -- stretch in between see them through the overlay below (readStretch).
    zadd = {}, zrem = {}, addedIn = {}, removedIn = {},
  }
end

-- The coach (1-based) of a seat index (0-based), by the coaches' first seats.
local function coachOfSeat(book, seat)
  local lo, hi = 1, #book.starts
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    if book.starts[mid] <= seat then lo = mid else hi = mid - 1 end
  end
  return lo
end

local function seatClass(book, seat) return book.classes[coachOfSeat(book, seat)] end
local function seatKind(book, seat) return string.sub(book.kinds, seat + 1, seat + 1) end

local function countsOf(book, class, kind)
  local field = class .. '|' .. kind
  local F = book.F[field]
  if not F then
    local raw = redis.call('HGET', book.keys.stretch, field)
    if raw then
      F = cjson.decode(raw)
    else
      F = {}
      for i = 1, book.S * (book.S + 1) / 2 do F[i] = 0 end
    end
    book.F[field] = F
    -- L[len]: seats of this class and kind with a free stretch of exactly len segments (F summed by length), so
    -- the best-fit search skips every length no seat has in one comparison instead of a cell per start.
    local L = {}
    for len = 1, book.S do L[len] = 0 end
    for l = 0, book.S - 1 do
      for r = l + 1, book.S do L[r - l] = L[r - l] + F[cellOf(book.S, l, r)] end
    end
    book.L[field] = L
  end
  return F
end

-- C[cell] and CL[len]: F and L of a class summed over its seat kinds, kept beside them, so the best-fit search
-- tests one count per cell instead of one per kind (it visits up to S x S / 2 cells a purchase).
local function classCounts(book, class)
  local C = book.C[class]
  if not C then
    C = {}
    local CL = {}
    for i = 1, book.S * (book.S + 1) / 2 do C[i] = 0 end
    for len = 1, book.S do CL[len] = 0 end
    for _, kind in ipairs(SEAT_KIND_ORDER) do
      local F, L = countsOf(book, class, kind), book.L[class .. '|' .. kind]
      for i = 1, #C do C[i] = C[i] + F[i] end
      for len = 1, book.S do CL[len] = CL[len] + L[len] end
    end
    book.C[class], book.CL[class] = C, CL
  end
  return C, book.CL[class]
end

local function occupancyOf(book, seat)
  local o = book.occ[seat]
  if not o then
    o = redis.call('HGET', book.keys.seats, fmt(seat))
    if not o then error('seats: seat ' .. seat .. ' has no occupancy; run ticket-spike audit') end
    book.occ[seat] = o
  end
  return o
end

local function addStretch(book, class, kind, seat, l, r, delta)
  -- The class sums first: made from F as it is before this change.
  local C, CL = classCounts(book, class)
  local F = countsOf(book, class, kind)
  local cell = cellOf(book.S, l, r)
  F[cell] = F[cell] + delta
  local field = class .. '|' .. kind
  book.L[field][r - l] = book.L[field][r - l] + delta
  C[cell] = C[cell] + delta
  CL[r - l] = CL[r - l] + delta
  book.dirtyF[field] = true
  local member = freeMember(class, kind, l, r, seat)
  local prefix = string.sub(member, 1, -5)
  local added = book.addedIn[prefix] or {}
  book.addedIn[prefix] = added
  if delta > 0 then
    -- Back in the index before the end of the call: the pending removal is undone instead.
    if book.zrem[member] then
      book.zrem[member] = nil
      book.removedIn[prefix] = book.removedIn[prefix] - 1
    else
      book.zadd[member] = true
      added[member] = true
    end
  elseif book.zadd[member] then
    book.zadd[member] = nil
    added[member] = nil
  else
    book.zrem[member] = true
    book.removedIn[prefix] = (book.removedIn[prefix] or 0) + 1
  end
end

-- The members of one stretch cell (prefix "<class>|<kind>|<len>|<l>|"), lowest seat first, as the index is with
-- this call's pending writes: at most `limit` of them (-1: all).
local function readStretch(book, prefix, limit)
  local removed = book.removedIn[prefix] or 0
  local fetch = limit < 0 and -1 or limit + removed
  local stored = redis.call('ZRANGEBYLEX', book.keys.free, '[' .. prefix, '[' .. prefix .. '~', 'LIMIT', 0, fetch)
  local out = {}
  for _, m in ipairs(stored) do if not book.zrem[m] then out[#out + 1] = m end end
  local added = book.addedIn[prefix]
  if added and next(added) then
    for m in pairs(added) do out[#out + 1] = m end
    table.sort(out)
  end
  if limit >= 0 then for i = #out, limit + 1, -1 do out[i] = nil end end
  return out
end

local function setOccupancy(book, seat, a, b, ch)
  local o = occupancyOf(book, seat)
  book.occ[seat] = string.sub(o, 1, a) .. string.rep(ch, b - a) .. string.sub(o, b + 1)
  book.dirtyOcc[seat] = true
  book.changed = true
end

-- Takes [a, b) of `seat`, whose maximal free stretch holding it is [l, r).
local function takeSeat(book, seat, l, r, a, b)
  local class, kind = seatClass(book, seat), seatKind(book, seat)
  addStretch(book, class, kind, seat, l, r, -1)
  if l < a then addStretch(book, class, kind, seat, l, a, 1) end
  if b < r then addStretch(book, class, kind, seat, b, r, 1) end
  setOccupancy(book, seat, a, b, '1')
end

-- Gives [a, b) of `seat` back, merged with the free segments on either side. Returns false (nothing changed)
-- when any segment of [a, b) is free already: a second release of the same order must not free twice.
local function releaseSeat(book, seat, a, b)
  local o = occupancyOf(book, seat)
  if string.find(string.sub(o, a + 1, b), '0', 1, true) then return false end
  local class, kind = seatClass(book, seat), seatKind(book, seat)
  local l, r = a, b
  while l > 0 and string.sub(o, l, l) == '0' do l = l - 1 end
  while r < book.S and string.sub(o, r + 1, r + 1) == '0' do r = r + 1 end
  if l < a then addStretch(book, class, kind, seat, l, a, -1) end
  if b < r then addStretch(book, class, kind, seat, b, r, -1) end
  addStretch(book, class, kind, seat, l, r, 1)
  setOccupancy(book, seat, a, b, '0')
  return true
end

-- Calls visit(seat, l, r) for each free seat of `class` holding [a, b), in allocation order, until it returns true.
-- `perCell`: at most this many seats read from one stretch (1 when the first will do; ZRANGEBYLEX returns every
-- member of a cell otherwise — on a fresh train, all seats of a kind).
-- The kinds to try, in passes: every kind at once, or a preferred kind first and the others after.
local PASSES = {[''] = {SEAT_KIND_ORDER}, w = {{'w'}, {'a', 'm'}}, a = {{'a'}, {'w', 'm'}}}

local function eachCandidate(book, class, pref, a, b, perCell, visit)
  local passes = PASSES[pref]
  local C, CL = classCounts(book, class)
  for _, kinds in ipairs(passes) do
    -- F of each kind looked up once; the class's sums (C, CL) when every kind is asked for.
    local Fs = {}
    for i, kind in ipairs(kinds) do Fs[i] = countsOf(book, class, kind) end
    local anyC, anyL = C, CL
    if #kinds == 1 then anyC, anyL = Fs[1], book.L[class .. '|' .. kinds[1]] end
    for len = b - a, book.S do
      if anyL[len] > 0 then for l = math.max(0, b - len), math.min(a, book.S - len) do
        local r = l + len
        local cell = cellOf(book.S, l, r)
        if anyC[cell] > 0 then for i, kind in ipairs(kinds) do
          if Fs[i][cell] > 0 then
            local prefix = class .. '|' .. kind .. '|' .. string.format('%02d|%02d|', len, l)
            for _, m in ipairs(readStretch(book, prefix, perCell)) do
              if visit(tonumber(string.sub(m, -4)), l, r) then return end
            end
          end
        end end
      end end
    end
  end
end

-- One passenger takes the first candidate: kept here by a visit made once, not a closure per purchase.
local firstHit = {}
local function takeFirst(seat, l, r)
  firstHit[1], firstHit[2], firstHit[3] = seat, l, r
  return true
end

-- Seats for `k` passengers of `class` on [a, b): a list of {seat, l, r} in allocation order, or nil when fewer
-- than k are free. Nothing is taken here.
local function pickSeats(book, class, pref, a, b, k)
  if k == 1 then
    firstHit[1] = nil
    eachCandidate(book, class, pref, a, b, 1, takeFirst)
    if not firstHit[1] then return nil end
    return {{firstHit[1], firstHit[2], firstHit[3]}}
  end
  local all, byCoach, chosen = {}, {}, nil
  -- A group looks at every candidate (to find a coach with room for all).
  eachCandidate(book, class, pref, a, b, -1, function(seat, l, r)
    local c = {seat, l, r}
    all[#all + 1] = c
    local coach = coachOfSeat(book, seat)
    local list = byCoach[coach] or {}
    byCoach[coach] = list
    list[#list + 1] = c
    if #list == k then chosen = list; return true end
    return false
  end)
  if chosen then return chosen end
  if #all < k then return nil end
  local spread = {}
  for i = 1, k do spread[i] = all[i] end
  return spread
end

-- Seats of [a, b) for `class` left now, from F (the sum described above).
local function seatsLeft(book, class, a, b)
  local n = 0
  for _, kind in ipairs(SEAT_KIND_ORDER) do
    local F = countsOf(book, class, kind)
    for l = 0, a do
      for r = b, book.S do n = n + F[cellOf(book.S, l, r)] end
    end
  end
  return n
end

-- Writes what changed (occupancy, F) and raises the book's version; returns the new version, or nil if nothing changed.
local function flushSeats(book, metaKey)
  if not book.changed then return nil end
  local adds, rems = {}, {}
  for m in pairs(book.zadd) do
    adds[#adds + 1] = '0'
    adds[#adds + 1] = m
  end
  for m in pairs(book.zrem) do rems[#rems + 1] = m end
  -- In pieces: unpack has a stack limit of a few thousand values.
  for i = 1, #rems, 1000 do redis.call('ZREM', book.keys.free, unpack(rems, i, math.min(i + 999, #rems))) end
  for i = 1, #adds, 2000 do redis.call('ZADD', book.keys.free, unpack(adds, i, math.min(i + 1999, #adds))) end
  local occArgs = {}
  for seat in pairs(book.dirtyOcc) do
    occArgs[#occArgs + 1] = fmt(seat)
    occArgs[#occArgs + 1] = book.occ[seat]
  end
  redis.call('HSET', book.keys.seats, unpack(occArgs))
  local fArgs = {}
  for field in pairs(book.dirtyF) do
    fArgs[#fArgs + 1] = field
    fArgs[#fArgs + 1] = cjson.encode(book.F[field])
  end
  if #fArgs > 0 then redis.call('HSET', book.keys.stretch, unpack(fArgs)) end
  return redis.call('HINCRBY', metaKey, 'seatVersion', 1)
end

-- What a node mirrors of the book (src/sale/seat-board.ts): the version and, for each class whose F changed,
-- F summed over the seat kinds — JSON {"v": version, "c": {"<class>": [...]}}. `all`: every class, changed or not.
local function seatBoard(book, version, all)
  local classes, parts = {}, {}
  if all then
    for _, class in ipairs(book.classes) do classes[class] = true end
  else
    for field in pairs(book.dirtyF) do classes[string.match(field, '^[^|]+')] = true end
  end
  for class in pairs(classes) do
    local sum = {}
    for i = 1, book.S * (book.S + 1) / 2 do sum[i] = 0 end
    for _, kind in ipairs(SEAT_KIND_ORDER) do
      local F = countsOf(book, class, kind)
      for i = 1, #sum do sum[i] = sum[i] + F[i] end
    end
    parts[#parts + 1] = '"' .. class .. '":[' .. table.concat(sum, ',') .. ']'
  end
  return '{"v":' .. fmt(version) .. ',"c":{' .. table.concat(parts, ',') .. '}}'
end

-- An order's seats as its item records them: "<a>|<b>|<seat>,<seat>,..." -> a, b, {seats}; nil when malformed.
local function parseItem(item)
  local a, b, list = string.match(item or '', '^(%d+)|(%d+)|([%d,]+)$')
  if not a then return nil end
  local seats = {}
  for s in string.gmatch(list, '%d+') do seats[#seats + 1] = tonumber(s) end
  return tonumber(a), tonumber(b), seats
end

-- Gives back every seat of the orders whose items are `items` (a list of item strings). Returns the seat-segments
-- released.
local function releaseItems(book, items)
  local units = 0
  for _, item in ipairs(items) do
    local a, b, seats = parseItem(item)
    if not a then error('seats: order item ' .. tostring(item) .. ' cannot be read; run ticket-spike audit') end
    for _, seat in ipairs(seats) do
      if releaseSeat(book, seat, a, b) then units = units + (b - a) end
    end
  end
  return units
end

-- What one order holds: units (what held and paid count: 1, or a train order's seat-segments), passengers (what
-- the user's count holds) and, for a train, its item. nil when a train order's item cannot be read.
local function orderUnits(metaKey, itemsKey, oid)
  if redis.call('HGET', metaKey, 'kind') ~= 'train' then return {units = 1, passengers = 1} end
  local item = redis.call('HGET', itemsKey, oid)
  local a, b, seats = parseItem(item)
  if not a then return nil end
  return {units = #seats * (b - a), passengers = #seats, item = item}
end

-- Gives back the seats of one order leaving held for cancelled or expired (nothing for a counter order).
-- seatKeys: {seats =, free =, stretch =}.
local function releaseOrderSeats(metaKey, seatKeys, held)
  if not held.item then return end
  local t = redis.call('HMGET', metaKey, 'segments', 'seatKinds', 'coachStarts', 'coachClasses')
  local book = openSeatBook(seatKeys, {segments = t[1], seatKinds = t[2], coachStarts = t[3], coachClasses = t[4]})
  releaseItems(book, {held.item})
  flushSeats(book, metaKey)
end
