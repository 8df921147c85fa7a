--[[
  Decides a whole batch of purchases for ONE sale, atomically, in order. One call per batch.

  Input:
    KEYS[1] {sale:S}:meta        hash (total, perUserLimit, holdSeconds, opensAt, closesAt, anonymous, held, paid,
                                 paused: '1' while an operator has paused the sale, lua/pause-sale-1.lua)
    KEYS[2] {sale:S}:holders     hash user -> "n|latestOrderId"
    KEYS[3] {sale:S}:orders      hash orderId -> encoded order (includes/order.lua)
    KEYS[4] {sale:S}:idem        hash "<user> <idempotencyKey>" -> "orderId|user" (a key is scoped to its buyer)
    KEYS[5] {sale:S}:deadlines   zset: one member per batch with new holds, its stream entry id, scored by
                                 the holds' shared deadline (ms) (includes/deadlines.lua)
    KEYS[6] {sale:S}:stream      stream: one entry per batch with new holds: b <batchId> then <orderId> <user> ...
    KEYS[7] {sale:S}:batch:<id>  string: sha1(orderIds) .. stored reply, EX ARGV[3]
    KEYS[8] {sale:S}:mayhold     list: who may hold something, appended per new hold — its user (if any), then its
                                 record's field "<user> <key>" (if it has a key). Read by the nodes from where they
                                 left off (lua/holder-log-4.lua), so a sold-out node learns new holders, not all again
    KEYS[9]  {sale:S}:seats      KEYS[10] {sale:S}:free      KEYS[11] {sale:S}:stretch
                                 a train sale's seat book (includes/seats.lua); untouched for a counter sale
    KEYS[12] {sale:S}:items      hash orderId -> "<from>|<to>|<seat>,<seat>,...": a train order's seats
    ARGV[1] saleId
    ARGV[2] batchId              [A-Za-z0-9_-]{1,160}
    ARGV[3] batch record TTL (s) 1..86400
    ARGV[4] n                    1..512 purchases
    ARGV[5 + 3i], ARGV[6 + 3i], ARGV[7 + 3i]   (i = 0..n-1)
            orderId "<saleId>.<unique>" (<= 160), user ('' = anonymous, else 1-64 of [A-Za-z0-9_.:@-]),
            idempotency key ('' = none, else 1-128 printable ASCII without spaces)
    ARGV[5 + 3n]  claim TTL (s), 1..604800
    ARGV[6 + 3n]  c: buyers' keys to claim across sales here, 0..n (standalone Redis; on Cluster the claim keys
                  live in other slots and the engine claims them before this script, passing c = 0)
    ARGV[7 + 3n + 2j], ARGV[8 + 3n + 2j]   (j = 0..c-1)
            purchase index (0..n-1, each at most once, with a key), its claim key ts:idemkey:<user> <key>
            (src/redis/keys.ts buyerKeyClaim): read before the purchases are decided, bound to this sale with
            the other writes at the end — only for a purchase that bought (or replayed its order of this
            sale): a key refused here (sold out, not open, limit) named nothing and stays free for another sale
    ARGV[7 + 3n + 2c + i]  (i = 0..n-1) train sales only, absent for a counter sale: what purchase i asks for,
            "<from>|<to>|<class>|<pref>|<passengers>": stations 0 <= from < to <= segments, a class of the
            train, pref '' | w (window) | a (aisle), passengers 1..5

  Output (success): a JSON string  [remaining, expiresAt, ordersMade, r1, ..., rn]  one r per purchase in
    request order, kept short (it is built, stored in the batch record, sent and parsed once per purchase):
      1                           a new hold under the REQUESTED order id, deadline expiresAt (shared by the batch)
      [1, "item"]                 the same for a train sale, with its seats: "<from>|<to>|<seat>,<seat>,..."
      ["orderId", expiresAt, "s"] a replay (known idempotency key of this buyer, or known orderId): the STORED
                                  order, whose id may differ from the requested one, in its current state s: h held,
                                  p paid, c cancelled, e expired (or past its deadline). An order retired by
                                  lua/retire-orders-5.lua (final, committed in PostgreSQL, its record gone) replays
                                  in its final state p, c or e with expiresAt 0 (read from its idempotency record,
                                  which the retire marked "orderId|user|s"; a record from before that mark: r)
      ["orderId", expiresAt, "s", "u"]  the same, found by the USER alone (at limit 1, without the buyer's key):
                                  the caller shows it only to a buyer whose name is proven (buyer authentication);
                                  anyone else only learns "limit reached" (a name is no secret)
      ["orderId", expiresAt, "s", "u" or "", "item"]  a replayed train order, with its seats
      -1 sold out (a train: no seat of the class free on every segment of [from, to) for every passenger),
      -2 limit reached, -3 not open, -4 idempotency mismatch, -6 anonymous not allowed
      [-4, "S"]                   the buyer's key already names a purchase in sale S (the claim)
    remaining = total - held - paid after the batch; ordersMade = orders the sale has ever made (a node knows
    from it whether its copy of the holders is current). A train counts seat-segments: total = seats x
    segments, and a hold of k passengers from a to b holds k x (b - a). A train batch that changed the seat
    book ends with one more element: {"v": seatVersion, "c": {"<class>": F summed over the seat kinds}} for
    each class it touched (includes/seats.lua), so the node that sent it answers availability from memory.
    src/sale/batch-reply.ts reads it.
  Output (error, nothing written): {code, detail}
    -5 UNKNOWN_SALE, -11 INVALID_ARGUMENT '<arg>', -12 BATCH_TOO_LARGE '512', -14 BATCH_ID_CONFLICT '<batchId>'

  Per purchase, checks in this order:
    1. this buyer's idempotency key known -> the stored order (replayed)
    2. orderId known: same user -> the stored order (replayed); other user -> -4
    3. user '' and the sale is not anonymous -> -6
    4. paused, or outside [opensAt, closesAt) by Redis TIME -> -3
    5. user at limit: limit 1 -> the user's live order (replayed, marked "u"); else -2  (anonymous: no limit);
       a train counts passengers: the user's count + passengers > limit -> -2
    6. counter: held + paid < total (strictly) -> new hold; else -1
       train: seats for every passenger (includes/seats.lua pickSeats, best fit) -> new hold; else -1

  Replays: a batch that recorded anything stores its reply under KEYS[7] (SET NX EX) and a second call with
  the same batch id (ioredis re-sends in-flight commands after a reconnect) returns it verbatim and writes
  nothing. A batch that changed nothing stores nothing: replaying it is a fresh decision, equally valid
  since the first reply was never delivered, and sold-out traffic costs no AOF write.
  Order ids are made fresh per purchase (newOrderId), so the orders HMGET nearly always misses; it stays
  because it is cheap (measured: no difference within noise, ~0.2 us per purchase at most) and without it
  an order id re-sent in a new batch would overwrite its order (a paid one back to held) and break the
  accounting; with it, such a re-send is a replay (check 2).
  Work per batch: three HMGETs (orders, holders, idem) for the lookups, an HGET only to read back a
  replayed order, then at most one HSET orders, one HSET holders, one HSET idem, one HSET meta, one RPUSH, one XADD,
  one ZADD of ONE member (the deadline of the whole batch, not one per order: a per-order ZADD was a
  quarter of the script's time, skiplist + dict insert per hold) and one SET. A 128-purchase batch runs
  ~0.6 ms (~5 us of Redis CPU per purchase against ~30 us for a one-purchase call); the 512 cap keeps a
  batch at a few ms, far below the busy-script threshold (5 s).
]]
--@include "includes/common.lua"
--@include "includes/order.lua"
--@include "includes/seats.lua"

-- 1. Validate every argument before the first write.
local saleId, batchId = ARGV[1], ARGV[2]
if not isSaleId(saleId) then return {C.INVALID_ARGUMENT, 'saleId'} end
if not isToken(batchId, MAX_ID_LEN) then return {C.INVALID_ARGUMENT, 'batchId'} end
local ttl = toInt(ARGV[3])
if not ttl or ttl < 1 or ttl > 86400 then return {C.INVALID_ARGUMENT, 'batchTtl'} end
local n = toInt(ARGV[4])
if not n or n < 1 then return {C.INVALID_ARGUMENT, 'count'} end
if n > MAX_BATCH then return {C.BATCH_TOO_LARGE, fmt(MAX_BATCH)} end
if #ARGV < 6 + 3 * n then return {C.INVALID_ARGUMENT, 'argument count'} end
local claimTtl = toInt(ARGV[5 + 3 * n])
if not claimTtl or claimTtl < 1 or claimTtl > 604800 then return {C.INVALID_ARGUMENT, 'claimTtl'} end
local c = toInt(ARGV[6 + 3 * n])
if not c or c > n then return {C.INVALID_ARGUMENT, 'claim count'} end
local itemsAt = 7 + 3 * n + 2 * c      -- train sales: the first purchase's item
local withItems = #ARGV == 6 + 3 * n + 2 * c + n
if #ARGV ~= 6 + 3 * n + 2 * c and not withItems then return {C.INVALID_ARGUMENT, 'argument count'} end
local claimOf = {}          -- purchase index (1-based) -> claim key
for j = 0, c - 1 do
  local at, key = toInt(ARGV[7 + 3 * n + 2 * j]), ARGV[8 + 3 * n + 2 * j]
  if not at or at >= n or claimOf[at + 1] or ARGV[7 + 3 * at] == ''
      or #key > 256 or string.sub(key, 1, 11) ~= 'ts:idemkey:' then
    return {C.INVALID_ARGUMENT, 'claims[' .. j .. ']'}
  end
  claimOf[at + 1] = key
end
-- One pass validates every purchase and collects what the prefetch below needs.
local prefix = saleId .. '.'
local plen = #prefix
local oids, users, idems = {}, {}, {}
-- A key is scoped to its buyer (the user; for an anonymous buyer, the key alone): its record is "<user> <key>".
-- Neither a user nor a key has a space, so the field names exactly one (user, key) pair.
local idemFields, idemFieldOf = {}, {}
for i = 0, n - 1 do
  local oid, user, idem = ARGV[5 + 3 * i], ARGV[6 + 3 * i], ARGV[7 + 3 * i]
  -- "<saleId>.<unique>", unique = [A-Za-z0-9_-]+ (same rule as saleOfOrderId, cheaper for a known sale)
  if #oid <= plen or #oid > MAX_ID_LEN or string.sub(oid, 1, plen) ~= prefix
      or string.find(oid, '[^%w_%-]', plen + 1) then
    return {C.INVALID_ARGUMENT, 'purchases[' .. i .. '].orderId'}
  end
  if #user > MAX_USER_LEN then return {C.INVALID_ARGUMENT, 'purchases[' .. i .. '].user'} end
  if #idem > MAX_IDEM_LEN then return {C.INVALID_ARGUMENT, 'purchases[' .. i .. '].idempotencyKey'} end
  oids[i + 1] = oid
  if user ~= '' then users[#users + 1] = user end
  if idem ~= '' then
    idems[#idems + 1] = idem
    local field = user .. ' ' .. idem
    idemFields[#idemFields + 1] = field
    idemFieldOf[i + 1] = field
  end
end
-- The alphabets: one scan over all users (and all keys) of the batch instead of one call per purchase (this
-- script's time is what every buyer of the batch waits for); only a batch that fails is searched again for
-- the purchase to name.
local function firstBad(field, badChar)
  for i = 0, n - 1 do
    if string.find(ARGV[(field == 'user' and 6 or 7) + 3 * i], badChar) then
      return {C.INVALID_ARGUMENT, 'purchases[' .. i .. '].' .. field}
    end
  end
end
if #users > 0 and string.find(table.concat(users), USER_BAD_CHAR) then return firstBad('user', USER_BAD_CHAR) end
if #idems > 0 and string.find(table.concat(idems), IDEM_BAD_CHAR) then return firstBad('idempotencyKey', IDEM_BAD_CHAR) end
local fingerprint = redis.sha1hex(table.concat(oids, ','))

-- 2. A batch already decided: return its stored reply verbatim.
local stored = redis.call('GET', KEYS[7])
if stored then
  if string.sub(stored, 1, 40) ~= fingerprint then return {C.BATCH_ID_CONFLICT, batchId} end
  return string.sub(stored, 41)
end

-- Every key this script may write must have its type (or not exist): Redis does not roll back a script that
-- errors halfway, so a wrong type found at the XADD would leave the units already taken.
-- The seat book's keys (9..12) are checked for a train only: a counter batch writes none of them.
local KEY_TYPES = {'hash', 'hash', 'hash', 'hash', 'zset', 'stream', 'string', 'list', 'hash', 'zset', 'hash', 'hash'}
local badType = wrongKeyType({unpack(KEY_TYPES, 1, 8)})
if badType then return badType end

-- paused rides in the HMGET the batch makes anyway: the pause costs the hot path no extra call.
local m = redis.call('HMGET', KEYS[1], 'total', 'perUserLimit', 'holdSeconds', 'opensAt', 'closesAt',
  'anonymous', 'held', 'paid', 'ordersMade', 'paused', 'kind')
if not m[1] then return {C.UNKNOWN_SALE, saleId} end
-- A train sale: every purchase says what it asks for; a counter sale takes no item.
local book, asks = nil, {}
if m[11] == 'train' then
  if not withItems then return {C.INVALID_ARGUMENT, 'items: a train sale needs from, to, class for each purchase'} end
  local badSeatType = wrongKeyType(KEY_TYPES, 9)
  if badSeatType then return badSeatType end
  local t = redis.call('HMGET', KEYS[1], 'segments', 'seatKinds', 'coachStarts', 'coachClasses')
  book = openSeatBook({seats = KEYS[9], free = KEYS[10], stretch = KEYS[11]},
    {segments = t[1], seatKinds = t[2], coachStarts = t[3], coachClasses = t[4]})
  local known = {}
  for _, class in ipairs(book.classes) do known[class] = true end
  for i = 0, n - 1 do
    local a, b, class, pref, k = string.match(ARGV[itemsAt + i], '^(%d+)|(%d+)|([%w_%-]+)|([wa]?)|(%d)$')
    a, b, k = tonumber(a), tonumber(b), tonumber(k)
    if not a or a >= b or b > book.S or not known[class] or k < 1 or k > 5 then
      return {C.INVALID_ARGUMENT, 'purchases[' .. i .. '].item'}
    end
    asks[i + 1] = {a = a, b = b, class = class, pref = pref, k = k}
  end
elseif withItems then
  return {C.INVALID_ARGUMENT, 'items: a counter sale takes none'}
end
local total, limit, holdMs = tonumber(m[1]), tonumber(m[2]), tonumber(m[3]) * 1000
local opensAt, closesAt, anonymous = tonumber(m[4]), tonumber(m[5]), m[6] == '1'
local held, paid, ordersMade = tonumber(m[7]), tonumber(m[8]), tonumber(m[9] or '0')
local now = nowMs()
local open = m[10] ~= '1' and now >= opensAt and (closesAt == 0 or now < closesAt)
local expiresAt = now + holdMs
-- Every new order of this batch shares status, times and reply tail: format them once.
local expStr = fmt(expiresAt)
local heldPrefix = 'held|' .. expStr .. '|' .. fmt(now) .. '|0|'

-- 3. Decide, keeping every change in Lua tables; write once at the end.
local newOrders = {}        -- orderId -> encoded, for this batch
local orderArgs = {}        -- HSET orders
local holders = {}          -- user -> {n, latest} as seen/changed by this batch
local holderDirty = {}      -- users whose entry changed, in order
local idemNew = {}          -- "<user> <key>" -> "orderId|user", this batch
local idemArgs = {}
local mayHoldArgs = {}       -- RPUSH mayhold: the users and record fields of this batch's new holds
local itemArgs = {}          -- HSET items: a train order's seats
local streamArgs = {'b', batchId}
local added = 0
local out = {}

-- Prefetch with one HMGET per hash instead of one HGET per purchase (redis.call is the main per-purchase cost).
local knownOrders = redis.call('HMGET', KEYS[3], unpack(oids))   -- by purchase index
local knownHolders = {}
if #users > 0 then
  local raw = redis.call('HMGET', KEYS[2], unpack(users))
  for j = 1, #users do knownHolders[users[j]] = raw[j] end
end
local knownIdem = {}
if #idemFields > 0 then
  local raw = redis.call('HMGET', KEYS[4], unpack(idemFields))
  for j = 1, #idemFields do knownIdem[idemFields[j]] = raw[j] end
end

-- The buyers' key claims, read now and written with the other writes at the end (nothing is written before
-- every purchase is decided).
local ownerOf = {}          -- claim key -> the sale the key already names, or false
local newClaims = {}        -- claim keys this batch binds to the sale (purchases that bought, or replayed by key)
local freeClaim = {}        -- claim key -> true while it names no sale and no purchase of this batch bought with it
for _, key in pairs(claimOf) do
  if ownerOf[key] == nil then
    local t = redis.call('TYPE', key).ok
    if t ~= 'none' and t ~= 'string' then return {C.INVALID_ARGUMENT, 'claims: ' .. key .. ' is a ' .. t} end
    ownerOf[key] = redis.call('GET', key)
  end
end

local function orderOf(oid)
  return newOrders[oid] or redis.call('HGET', KEYS[3], oid)
end

-- A replay reports the stored order as it is now: h held, p paid, c cancelled, e expired (a hold past its
-- deadline, not yet swept, is expired already). An order whose record retire-orders removed is final and in
-- PostgreSQL: it replays in `retired`, the final state its idempotency record was marked with (a holder entry
-- at the limit names a paid one: cancelled and expired orders leave the count), or r when nothing tells.
local itemOf = {}            -- train: orderId -> item, this batch's and those read for replays
local function replay(oid, enc, retired)
  if book and itemOf[oid] == nil then itemOf[oid] = redis.call('HGET', KEYS[12], oid) or '' end
  if not enc then return C.OK, oid, 0, retired or 'r' end
  local o = decodeOrder(enc)
  -- Nothing is written before the last purchase is decided: stopping here leaves the sale as it was.
  if not o then error('reserve-batch: order ' .. oid .. ' cannot be read; run ticket-spike audit') end
  local state = string.sub(o.status, 1, 1)
  if state == 'h' and now >= o.expiresAt then state = 'e' end
  return C.OK, oid, o.expiresAt, state
end

for i = 0, n - 1 do
  local oid, user, idem = ARGV[5 + 3 * i], ARGV[6 + 3 * i], ARGV[7 + 3 * i]
  local code, rid, rexp, rep, byUser = nil, '', 0, '', false
  local field = idemFieldOf[i + 1]
  local claim = claimOf[i + 1]
  if claim then
    local owner = ownerOf[claim]
    if owner and owner ~= saleId then
      code = C.IDEMPOTENCY_MISMATCH
      out[i + 1] = '[' .. fmt(C.IDEMPOTENCY_MISMATCH) .. ',"' .. owner .. '"]'
    elseif not owner then
      -- Free for now: bound below only if this purchase buys or replays by key (a later one of the batch may).
      ownerOf[claim] = saleId
      freeClaim[claim] = true
    end
  end

  if field and not code then
    local rec = idemNew[field] or knownIdem[field]
    if rec then
      -- "orderId|user", or "orderId|user|s" once retire-orders marked the order's final state s.
      local bar = string.find(rec, '|', 1, true)
      local recOrder, recUser = string.sub(rec, 1, bar - 1), string.sub(rec, bar + 1)
      local mark = string.find(recUser, '|', 1, true)
      local recState = nil
      if mark then recState = string.sub(recUser, mark + 1); recUser = string.sub(recUser, 1, mark - 1) end
      if recUser ~= user then
        code = C.IDEMPOTENCY_MISMATCH
      else
        code, rid, rexp, rep = replay(recOrder, orderOf(recOrder), recState)
      end
    end
  end

  if not code then
    local enc = newOrders[oid] or knownOrders[i + 1]
    if enc then
      local known = decodeOrder(enc)
      if not known then error('reserve-batch: order ' .. oid .. ' cannot be read; run ticket-spike audit') end
      if known.user ~= user then
        code = C.IDEMPOTENCY_MISMATCH
      else
        code, rid, rexp, rep = replay(oid, enc)
      end
    end
  end

  if not code and user == '' and not anonymous then code = C.ANONYMOUS_NOT_ALLOWED end
  if not code and not open then code = C.NOT_OPEN end

  local h = nil
  local ask = asks[i + 1]
  local need = ask and ask.k or 1   -- units of the user's limit: a train counts passengers
  if not code and user ~= '' then
    h = holders[user]
    if not h then
      local hn, hl = parseHolder(knownHolders[user])
      h = {hn, hl}
      holders[user] = h
    end
    if h[1] >= limit and limit == 1 and h[2] ~= '' then
      code, rid, rexp, rep = replay(h[2], orderOf(h[2]), 'p')
      byUser = true
    elseif h[1] + need > limit then
      code = C.LIMIT_REACHED
    end
  end

  local seats = nil
  if not code and book then
    seats = pickSeats(book, ask.class, ask.pref, ask.a, ask.b, ask.k)
    if not seats then code = C.SOLD_OUT end
  end

  if not code then
    if book or held + paid < total then
      local enc = heldPrefix .. #user .. '|' .. user .. idem   -- = encodeOrder(held order), inlined
      newOrders[oid] = enc
      orderArgs[#orderArgs + 1] = oid
      orderArgs[#orderArgs + 1] = enc
      streamArgs[#streamArgs + 1] = oid
      streamArgs[#streamArgs + 1] = user
      if user ~= '' then mayHoldArgs[#mayHoldArgs + 1] = user end
      if h then
        if not h.dirty then h.dirty = true; holderDirty[#holderDirty + 1] = user end
        h[1] = h[1] + need
        h[2] = oid
      end
      if field then
        idemNew[field] = oid .. '|' .. user
        idemArgs[#idemArgs + 1] = field
        idemArgs[#idemArgs + 1] = oid .. '|' .. user
        mayHoldArgs[#mayHoldArgs + 1] = field
      end
      added = added + 1
      if seats then
        local list = {}
        for j, c in ipairs(seats) do
          takeSeat(book, c[1], c[2], c[3], ask.a, ask.b)
          list[j] = fmt(c[1])
        end
        local item = fmt(ask.a) .. '|' .. fmt(ask.b) .. '|' .. table.concat(list, ',')
        itemOf[oid] = item
        itemArgs[#itemArgs + 1] = oid
        itemArgs[#itemArgs + 1] = item
        held = held + ask.k * (ask.b - ask.a)
        out[i + 1] = '[1,"' .. item .. '"]'
      else
        held = held + 1
        out[i + 1] = '1'
      end
    else
      code = C.SOLD_OUT
    end
  end

  if not out[i + 1] then
    if code == C.OK and book then
      out[i + 1] = '["' .. rid .. '",' .. fmt(rexp) .. ',"' .. rep .. '","' .. (byUser and 'u' or '') .. '","' .. (itemOf[rid] or '') .. '"]'
    elseif code == C.OK then
      out[i + 1] = '["' .. rid .. '",' .. fmt(rexp) .. ',"' .. rep .. (byUser and '","u"]' or '"]')
    else
      out[i + 1] = fmt(code)
    end
  end
  -- A replay found by the user's name (byUser) was not bought with this key: the key names nothing yet.
  if claim and freeClaim[claim] and ((code == C.OK and not byUser) or out[i + 1] == '1') then
    freeClaim[claim] = nil
    newClaims[#newClaims + 1] = claim
  end
end

-- 4. Write: a handful of commands for the whole batch (and for a train, what the seat book changed).
local boardTail = ''
if book then
  local version = flushSeats(book, KEYS[1])
  if version then boardTail = ',' .. seatBoard(book, version) end
  if #itemArgs > 0 then redis.call('HSET', KEYS[12], unpack(itemArgs)) end
end
local reply = '[' .. fmt(total - held - paid) .. ',' .. expStr .. ',' .. fmt(ordersMade + added) .. ','
  .. table.concat(out, ',') .. boardTail .. ']'

for _, claim in ipairs(newClaims) do redis.call('SET', claim, saleId, 'EX', claimTtl) end
if added > 0 then
  redis.call('HSET', KEYS[3], unpack(orderArgs))
  if #holderDirty > 0 then
    local hArgs = {}
    for _, user in ipairs(holderDirty) do
      hArgs[#hArgs + 1] = user
      hArgs[#hArgs + 1] = fmt(holders[user][1]) .. '|' .. holders[user][2]
    end
    redis.call('HSET', KEYS[2], unpack(hArgs))
  end
  if #idemArgs > 0 then redis.call('HSET', KEYS[4], unpack(idemArgs)) end
  if #mayHoldArgs > 0 then redis.call('RPUSH', KEYS[8], unpack(mayHoldArgs)) end
  -- held already counts this batch's holds (read above, raised per hold): one HSET sets both counters.
  redis.call('HSET', KEYS[1], 'held', fmt(held), 'ordersMade', fmt(ordersMade + added))
  local streamId = redis.call('XADD', KEYS[6], '*', unpack(streamArgs))
  redis.call('ZADD', KEYS[5], expStr, streamId)
  redis.call('SET', KEYS[7], fingerprint .. reply, 'EX', ttl, 'NX')
end
return reply
