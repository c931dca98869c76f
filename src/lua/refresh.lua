-- refresh: re-sums the windows that slid for the given agents, so stats stay true with no
-- new events. ARGV: now, prefix, windows, max_future, force (1: return every agent), agents...
-- Returns the totals (layout of totals_update) of every agent whose windows changed or
-- whose quality rules are pending or firing.
--#include _common.lua

local now, P = tonumber(ARGV[1]), ARGV[2]
local ws = parse_windows(ARGV[3])
local max_future, force = tonumber(ARGV[4]), ARGV[5] == '1'
local out = {}
for i = 6, #ARGV do
  local agent = ARGV[i]
  -- Pending and firing rules need a look each pass even if no window slid (for, repeat).
  local slid = force or redis.call('SISMEMBER', P .. 'rules:active', agent) == 1
  if slid or sums_slid(sums_load(P, agent, ws), ws, now) then
    totals_update(P, agent, ws, now, max_future, nil, out)
  end
end
return out
