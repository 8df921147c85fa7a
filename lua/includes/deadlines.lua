--[[
  Hold deadlines, one entry per BATCH (not per order): every new hold of a reserve-batch call shares one
  expiresAt and one stream entry, so {sale:S}:deadlines holds one member per batch with new holds, scored
  by that expiresAt (ms). The member names the batch's stream entry, whose fields list its orders:
    "<streamId>"      the whole batch is still to be swept
    "<streamId>/<k>"  a sweep stopped after the first k orders of the entry; resume at order k + 1
  Stream entry fields: b <batchId> then <orderId> <user> per new hold (reserve-batch-12.lua), so order j
  (1-based) is field 2 + 2j - 1 and its user the field after it.
  A hold leaves its batch's entry only when the sweep passes it: pay/cancel just change the order's
  status, and the sweep moves only status 'held' to 'expired', so each unit returns exactly once.
]]

-- "<streamId>[/<k>]" -> streamId, k (orders of the entry already swept; 0 when none)
local function parseDeadline(member)
  local slash = string.find(member, '/', 1, true)
  if not slash then return member, 0 end
  return string.sub(member, 1, slash - 1), tonumber(string.sub(member, slash + 1))
end

-- The order ids of a stream entry's field list (skips b <batchId>).
local function entryOrderIds(fields)
  local oids = {}
  for i = 3, #fields, 2 do oids[#oids + 1] = fields[i] end
  return oids
end
