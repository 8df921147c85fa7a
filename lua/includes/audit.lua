--[[
  Shared by the audit page scripts (audit-stream, audit-orders, audit-holders, audit-idem, audit-deadlines).
  Nothing here writes; every audit script is flagged no-writes, so Redis itself refuses a write.

  A page script takes a cursor and a budget and does at most about `budget` units of work (orders,
  records or members looked at) per call, by repeated small scans, so each call runs a few milliseconds
  and Redis never blocks for long. Each problem it reports was true in that call's own atomic view.
]]

local MAX_AUDIT_BUDGET = 10000
local AUDIT_SCAN_COUNT = 64

local problems, problemCount, maxProblems = {}, 0, 100
local function problem(msg)
  problemCount = problemCount + 1
  if #problems < maxProblems then problems[#problems + 1] = msg end
end

-- budget 1..10000 and maxProblems 1..1000, or nil and the argument at fault.
local function auditArgs(budgetArg, maxArg)
  local budget = toInt(budgetArg)
  if not budget or budget < 1 or budget > MAX_AUDIT_BUDGET then return nil, 'budget' end
  local mp = toInt(maxArg)
  if not mp or mp < 1 or mp > 1000 then return nil, 'maxProblems' end
  maxProblems = mp
  return budget
end

-- A SCAN cursor: decimal digits (Redis's own, echoed back by the caller).
local function isScanCursor(s) return type(s) == 'string' and #s >= 1 and #s <= 20 and string.match(s, '^%d+$') ~= nil end

-- The reply of a page: the fields of `t` plus the problems, as JSON.
local function auditReply(t)
  t.problems = problems
  t.problemCount = problemCount
  return cjson.encode(t)
end
