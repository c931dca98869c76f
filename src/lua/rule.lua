-- rule: moves one quality rule's state for one agent, unless another instance moved it
-- first, and records the alert it decided in the outbox in the same atomic step.
-- ARGV: now, prefix, agent, rule, expected state, next state ("" = ok), facts JSON or "".
-- Returns {1 (moved) or 0 (someone else did), outbox entries}.
--#include _common.lua

local now, P, agent, rule = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local key = agent_key(P, agent, 'rules')
if (redis.call('HGET', key, rule) or '') ~= ARGV[5] then return {0, {}} end
if ARGV[6] == '' then
  redis.call('HDEL', key, rule)
else
  redis.call('HSET', key, rule, ARGV[6])
end
-- Agents with a pending or firing rule are re-evaluated every refresh, active or not.
if redis.call('HLEN', key) > 0 then
  redis.call('SADD', P .. 'rules:active', agent)
else
  redis.call('SREM', P .. 'rules:active', agent)
end
local out = {}
if ARGV[7] ~= '' then outbox_add(P, now, cjson.decode(ARGV[7]), out) end
return {1, out}
