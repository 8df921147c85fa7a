--[[
  Order codec, shared by every script that reads or writes {sale:S}:orders.
  An order is one hash field: orderId -> "status|expiresAt|createdAt|paidAt|userLen|<user><idempotencyKey>"
  status is held|paid|cancelled|expired; times are ms (Redis TIME), paidAt 0 until paid. The user and the
  idempotency key are free-form bytes, so they come last and the user is length-prefixed.
  src/redis/engine.ts decodeOrder() reads the same format.

  Holders: {sale:S}:holders user -> "n|latestOrderId", n = the user's live (held + paid) orders; the field is
  deleted when n reaches 0. Anonymous orders (user '') are not counted there.
]]
local function encodeOrder(o)
  return o.status .. '|' .. fmt(o.expiresAt) .. '|' .. fmt(o.createdAt) .. '|' .. fmt(o.paidAt) .. '|'
    .. fmt(#o.user) .. '|' .. o.user .. o.idem
end

-- The decoded order, or nil when `s` is not in this format (a corrupt record: callers refuse before writing).
local function decodeOrder(s)
  local p1 = string.find(s, '|', 1, true)
  local p2 = p1 and string.find(s, '|', p1 + 1, true)
  local p3 = p2 and string.find(s, '|', p2 + 1, true)
  local p4 = p3 and string.find(s, '|', p3 + 1, true)
  local p5 = p4 and string.find(s, '|', p4 + 1, true)
  local ulen = p5 and tonumber(string.sub(s, p4 + 1, p5 - 1))
  if not ulen or not tonumber(string.sub(s, p1 + 1, p2 - 1)) then return nil end
  return {
    status = string.sub(s, 1, p1 - 1),
    expiresAt = tonumber(string.sub(s, p1 + 1, p2 - 1)),
    createdAt = tonumber(string.sub(s, p2 + 1, p3 - 1)),
    paidAt = tonumber(string.sub(s, p3 + 1, p4 - 1)),
    user = string.sub(s, p5 + 1, p5 + ulen),
    idem = string.sub(s, p5 + ulen + 1),
  }
end

-- The order a pay/cancel call names: enc, decoded order — or nil and the error reply (nothing written).
local function readOrder(ordersKey, oid)
  if not saleOfOrderId(oid) then return nil, {C.INVALID_ARGUMENT, 'orderId'} end
  local enc = redis.call('HGET', ordersKey, oid)
  if not enc then return nil, {C.ORDER_NOT_FOUND, ''} end
  local o = decodeOrder(enc)
  if not o then return nil, {C.INVALID_ARGUMENT, 'order record'} end
  return enc, o
end

-- "n|latest" -> n, latest  (0, '' when absent)
local function parseHolder(raw)
  if not raw then return 0, '' end
  local bar = string.find(raw, '|', 1, true)
  return tonumber(string.sub(raw, 1, bar - 1)), string.sub(raw, bar + 1)
end

-- Gives one live unit of `user` back: n - 1, the field removed at 0. Anonymous users have no entry.
local function releaseHolder(holdersKey, user, count)
  if user == '' then return end
  local n, latest = parseHolder(redis.call('HGET', holdersKey, user))
  n = n - count
  if n <= 0 then
    redis.call('HDEL', holdersKey, user)
  else
    redis.call('HSET', holdersKey, user, fmt(n) .. '|' .. latest)
  end
end
