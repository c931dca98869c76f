-- stats_write: writes an agent's contract stats hash, computed in C from the totals of
-- version v, unless a newer version exists (then its writer will follow).
-- ARGV: prefix, agent, v, then field/value pairs; an empty value deletes the field.
local P, agent, v = ARGV[1], ARGV[2], tonumber(ARGV[3])
local base = P .. 'agent:{' .. agent .. '}:'
if tonumber(redis.call('HGET', base .. 'totals', 'v')) ~= v then return 0 end
local set, del = {}, {}
for i = 4, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    del[#del + 1] = ARGV[i]
  else
    set[#set + 1] = ARGV[i]
    set[#set + 1] = ARGV[i + 1]
  end
end
if #set > 0 then redis.call('HSET', base .. 'stats', unpack(set)) end
if #del > 0 then redis.call('HDEL', base .. 'stats', unpack(del)) end
return 1
