--[[
  The fields every sale is created with (lua/create-sale-1.lua, lua/create-train-4.lua): ARGV[1..7] =
  total, perUserLimit, holdSeconds, opensAt, closesAt, anonymous, idKey, checked by the ranges of
  src/rules/input-rules.ts. readSaleFields(queueAt) returns them, or nil and the error reply (nothing written).
  ARGV[queueAt], when present and not '': the sale's waiting room as src/rules/queue-config.ts storedQueue writes
  it ({"o": opensAt, "f": preQueueFrom or 0, "r": admitPerSecond or 0 = auto, "p": passSeconds, "on": 0|1}), kept
  as meta `queue` and read by lua/queue-join-4.lua, lua/queue-tick-6.lua and lua/queue-set-1.lua.
]]
local function readSaleFields(queueAt)
  local function int(i, lo, hi)
    local n = toInt(ARGV[i])
    if n == nil or n < lo or n > hi then return nil end
    return n
  end
  local f = {}
  f.total = int(1, 1, 100000000)
  if not f.total then return nil, {C.INVALID_SALE, 'total'} end
  f.limit = int(2, 1, 1000000)
  if not f.limit then return nil, {C.INVALID_SALE, 'perUserLimit'} end
  f.hold = int(3, 1, 604800)
  if not f.hold then return nil, {C.INVALID_SALE, 'holdSeconds'} end
  f.opensAt = int(4, 0, 9999999999999)
  if not f.opensAt then return nil, {C.INVALID_SALE, 'opensAt'} end
  f.closesAt = int(5, 0, 9999999999999)
  if not f.closesAt or (f.closesAt ~= 0 and f.closesAt <= f.opensAt) then return nil, {C.INVALID_SALE, 'closesAt'} end
  f.anon = ARGV[6]
  if f.anon ~= '0' and f.anon ~= '1' then return nil, {C.INVALID_SALE, 'anonymous'} end
  f.idKey = ARGV[7]
  if not isIdKey(f.idKey) then return nil, {C.INVALID_SALE, 'idKey'} end
  f.queue = ARGV[queueAt] or ''
  if f.queue ~= '' then
    local ok, q = pcall(cjson.decode, f.queue)
    if not ok or type(q) ~= 'table' or type(q.o) ~= 'number' or type(q.r) ~= 'number' or type(q.p) ~= 'number'
        or q.r < 0 or q.r > 100000 or q.p < 10 or q.p > 300 or f.anon == '1' then
      return nil, {C.INVALID_SALE, 'queue'}
    end
  end
  return f
end

-- The meta every sale starts with; `extra`: more field, value pairs (a train's).
local function writeSaleMeta(metaKey, f, extra)
  redis.call('HSET', metaKey,
    'total', fmt(f.total), 'perUserLimit', fmt(f.limit), 'holdSeconds', fmt(f.hold),
    'opensAt', fmt(f.opensAt), 'closesAt', fmt(f.closesAt), 'anonymous', f.anon,
    'held', '0', 'paid', '0', 'createdAt', fmt(nowMs()), 'idKey', f.idKey, 'holderLog', '1', unpack(extra))
  if f.queue ~= '' then redis.call('HSET', metaKey, 'queue', f.queue) end
end
