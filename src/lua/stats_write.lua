-- stats_write: writes agents' contract stats hashes, computed in C from their totals, for
-- many agents in one call. An agent is skipped when its totals moved past version v
-- meanwhile (the newer writer follows).
-- ARGV: prefix, then per agent: agent, v, n, then n field/value pairs ("" deletes the field).
-- Returns how many agents were written.
local P = ARGV[1]
local written, i = 0, 2
while i <= #ARGV do
  local base = P .. 'agent:{' .. ARGV[i] .. '}:'
  local v, n = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local first, last = i + 3, i + 2 + 2 * n
  local sums = redis.call('GET', base .. 'sums')
  -- The version is the second member of the sums array (see _common.lua).
  if sums and cmsgpack.unpack(sums)[2] == v then
    local set, del = {}, {}
    for j = first, last, 2 do
      if ARGV[j + 1] == '' then
        del[#del + 1] = ARGV[j]
      else
        set[#set + 1] = ARGV[j]
        set[#set + 1] = ARGV[j + 1]
      end
    end
    if #set > 0 then redis.call('HSET', base .. 'stats', unpack(set)) end
    if #del > 0 then redis.call('HDEL', base .. 'stats', unpack(del)) end
    written = written + 1
  end
  i = last + 1
end
return written
