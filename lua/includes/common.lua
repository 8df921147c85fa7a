--[[
  Shared helpers for every ticket-spike script (pasted in by src/redis/scripts.ts at `--@include`).
  Nothing here writes to Redis.

  Return codes (mirror src/redis/codes.ts ScriptCode; keep both in step):
     1 OK / created          2 EXISTS (create-sale)
    -1 SOLD_OUT             -2 LIMIT_REACHED        -3 NOT_OPEN
    -4 IDEMPOTENCY_MISMATCH -5 UNKNOWN_SALE         -6 ANONYMOUS_NOT_ALLOWED
    -7 ORDER_NOT_FOUND      -8 HOLD_EXPIRED         -9 ORDER_CANCELLED
   -10 ORDER_PAID          -11 INVALID_ARGUMENT    -12 BATCH_TOO_LARGE
   -13 INVALID_SALE        -14 BATCH_ID_CONFLICT   -15 REGISTRY_FULL
   -16 REGISTRY_CAPACITY   -17 SALE_CLOSED         -18 STOCK_FLOOR
   -19 ALREADY_CHECKED_IN  -20 ORDER_NOT_PAID
  Errors are returned as {code, detail}; detail names the argument or object at fault.
]]
local C = {
  OK = 1, EXISTS = 2,
  SOLD_OUT = -1, LIMIT_REACHED = -2, NOT_OPEN = -3, IDEMPOTENCY_MISMATCH = -4,
  UNKNOWN_SALE = -5, ANONYMOUS_NOT_ALLOWED = -6, ORDER_NOT_FOUND = -7, HOLD_EXPIRED = -8,
  ORDER_CANCELLED = -9, ORDER_PAID = -10, INVALID_ARGUMENT = -11, BATCH_TOO_LARGE = -12,
  INVALID_SALE = -13, BATCH_ID_CONFLICT = -14, REGISTRY_FULL = -15, REGISTRY_CAPACITY = -16,
  SALE_CLOSED = -17, STOCK_FLOOR = -18, ALREADY_CHECKED_IN = -19, ORDER_NOT_PAID = -20,
}

-- The input rules of src/rules/input-rules.ts (BATCH_SIZE, USER, IDEMPOTENCY_KEY, ORDER_ID, BATCH_ID, ID_KEY),
-- checked again here before any write; test/integration/lua-rules.test.ts feeds every boundary to both.
local MAX_BATCH = 512
local MAX_USER_LEN = 64
local MAX_IDEM_LEN = 128
local MAX_ID_LEN = 160

-- A non-negative decimal integer string (no sign, no exponent, no spaces, <= 16 digits) -> number, else nil.
local function toInt(s)
  if type(s) ~= 'string' or #s == 0 or #s > 16 or not string.match(s, '^%d+$') then return nil end
  return tonumber(s)
end

local function fmt(n) return string.format('%d', n) end

-- Redis TIME in milliseconds: the one clock every node agrees on.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function isToken(s, maxLen)
  return type(s) == 'string' and #s >= 1 and #s <= maxLen and string.match(s, '^[%w_%-]+$') ~= nil
end

local function isSaleId(s) return isToken(s, 48) end

-- A sale's order-id key (src/rules/input-rules.ts ID_KEY): 32 lowercase hex characters.
local function isIdKey(s)
  return type(s) == 'string' and #s == 32 and string.match(s, '^[0-9a-f]+$') ~= nil
end

-- A character a buyer may not contain: users are '' (anonymous) or 1-64 of A-Z a-z 0-9 _ . : @ -
-- (never the order codec's '|').
local USER_BAD_CHAR = '[^%w_%.:@%-]'
-- A character an Idempotency-Key may not contain: keys are 1-128 printable ASCII characters (33-126).
local IDEM_BAD_CHAR = '[^\33-\126]'

-- "<saleId>.<unique>", unique in [A-Za-z0-9_-]+. Returns the sale id or nil.
local function saleOfOrderId(s)
  if type(s) ~= 'string' or #s > MAX_ID_LEN then return nil end
  local dot = string.find(s, '.', 1, true)
  if not dot then return nil end
  local sale, rest = string.sub(s, 1, dot - 1), string.sub(s, dot + 1)
  if isSaleId(sale) and isToken(rest, MAX_ID_LEN) then return sale end
  return nil
end

-- The error reply for the first of KEYS[from..#want] (from: 1 when nil) that exists with another type than want[k], else nil. Every
-- script that writes checks this before its first write: Redis does not roll back a script that errors halfway,
-- so a wrong type found at a late write would leave the writes before it.
local function wrongKeyType(want, from)
  for k = from or 1, #want do
    local t = redis.call('TYPE', KEYS[k]).ok
    if t ~= 'none' and t ~= want[k] then return {C.INVALID_ARGUMENT, 'KEYS[' .. k .. '] is a ' .. t} end
  end
  return nil
end
