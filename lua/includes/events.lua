--[[
  Lifecycle events on the sale's stream ({sale:S}:stream). Two kinds of entry, both followed by
  (orderId, user) pairs:
    b <batchId> <orderId> <user> ...      reserved: one entry per reserve-batch call with new holds
    ev <event> <orderId> <user> ...       event = paid | cancelled | expired | checkedin, written by the script
                                          that made the change (pay, cancel, expire-holds, check-in), only for a
                                          real change; checkedin names a paid order whose ticket a gate admitted
                                          (its time and gate are in {sale:S}:checkins)
  An order worker reads every pair of every entry as "sync this order's state from the orders hash". The
  stream loses entries only by lua/trim-stream-3.lua (below the oldest unacknowledged entry and below every
  entry a deadline still names).
]]

local EVENT_STATUS = {paid = true, cancelled = true, expired = true, checkedin = true}

-- The stream key may be written (absent or a stream): checked before a script's first write.
local function streamWritable(key)
  local t = redis.call('TYPE', key).ok
  return t == 'none' or t == 'stream'
end

-- Appends one event entry naming every (orderId, user) pair in `pairList` (a flat list), if any.
local function appendEvent(streamKey, event, pairList)
  if #pairList == 0 then return end
  redis.call('XADD', streamKey, '*', 'ev', event, unpack(pairList))
end
