-- claim: fires the reply clocks that are due, each exactly once across all instances,
-- because the claim and the alert's outbox record are one atomic step.
-- ARGV: now, prefix, windows, max_future, limit.
-- Returns {claimed, agent totals..., outbox entries..., next due ms or -1, open, overdue};
-- the last two are the counts over all agents, for the daemon's gauges.
--#include _common.lua
--#include _batch.lua
--#include _clock.lua

local now, P = tonumber(ARGV[1]), ARGV[2]
local B = batch_new(P, parse_windows(ARGV[3]), now, tonumber(ARGV[4]))
local claimed = 0
for _, ticket in ipairs(redis.call('ZRANGEBYSCORE', P .. 'due', '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))) do
  if clock_fire(B, ticket) then claimed = claimed + 1 end
end
local totals = batch_flush(B)
local nxt = redis.call('ZRANGE', P .. 'due', 0, 0, 'WITHSCORES')
local gauges = redis.call('HMGET', P .. 'clocks', 'open', 'overdue')
return {claimed, totals, B.outbox, tonumber(nxt[2]) or -1, tonumber(gauges[1]) or 0, tonumber(gauges[2]) or 0}
